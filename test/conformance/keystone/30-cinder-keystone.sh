#!/bin/bash
# Switch the running real Cinder from noauth to Keystone auth: rewrite cinder.conf with
# auth_strategy = keystone + [keystone_authtoken] (../real-cinder/lib/cinder-conf.sh) and restart ONLY
# cinder-api (the only service that reads them); scheduler and volume keep running, volumes stay.
# ~12 s instead of rebuilding the stack. Afterwards X-Auth-Token: admin:admin and /v3/admin/... give 401.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"
RC=$HERE/../real-cinder
. "$RC/lib/cinder-conf.sh"
CINDER_PYFIX=$RC/pyfix
T0=$(now_s)
. $KS/secrets.env
write_cinder_conf keystone $BASE/etc/cinder.conf
stop_pidfile $PIDS/cinder-api.pid
start_cinder_service api
if ! wait_until 60 api_answers; then
  diagnose cinder-api "GET http://127.0.0.1:8776/ did not answer 300 within 60 s after the switch" $LOGS/cinder-api.log $LOGS/cinder-api.stdout; exit 1
fi
echo "cinder-api restarted with keystone auth, answers after $(since $T0)s"
read TOKEN PROJ < <(ks_token admin "$ADMIN_PW" admin)
[ -n "$TOKEN" ] && [ -n "$PROJ" ] || { diagnose keystone-uwsgi "no admin token" $KS/log/keystone.log; exit 1; }
H=(-H "X-Auth-Token: $TOKEN")
if ! wait_cinder_ready H http://127.0.0.1:8776/v3/$PROJ; then
  diagnose cinder-api "not ready behind keystone auth (token validation failing?)" $LOGS/cinder-api.log; exit 1
fi
with=$(curl -s -o /dev/null -w '%{http_code}' "${H[@]}" http://127.0.0.1:8776/v3/$PROJ/volumes/detail)
without=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8776/v3/$PROJ/volumes/detail)
echo "GET volumes/detail with a token: $with, without: $without"
if [ "$with" != 200 ] || [ "$without" != 401 ]; then
  diagnose cinder-api "keystone auth not in effect (expected 200 with token, 401 without)" $LOGS/cinder-api.log; exit 1
fi
echo "switch to keystone took $(since $T0)s"
