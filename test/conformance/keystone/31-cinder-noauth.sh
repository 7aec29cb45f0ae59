#!/bin/bash
# The reverse of 30-cinder-keystone.sh (local development): cinder-api back to noauth, restart only
# cinder-api. Keystone keeps running.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"
RC=$HERE/../real-cinder
. "$RC/lib/cinder-conf.sh"
CINDER_PYFIX=$RC/pyfix
T0=$(now_s)
write_cinder_conf noauth $BASE/etc/cinder.conf
stop_pidfile $PIDS/cinder-api.pid
start_cinder_service api
wait_until 60 api_answers || { diagnose cinder-api "no answer after the switch back to noauth" $LOGS/cinder-api.log; exit 1; }
H=(-H 'X-Auth-Token: admin:admin')
wait_cinder_ready H http://127.0.0.1:8776/v3/admin
echo "cinder-api back on noauth after $(since $T0)s"
