#!/bin/bash
# Stop Keystone (uWSGI master + workers, by PID). --wipe also deletes its state ($BASE/keystone).
# Cinder stays as it is; ../real-cinder/down.sh stops everything, Keystone included.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"
stop_pidfile $PIDS/keystone-uwsgi.pid
if [ "${1:-}" = "--wipe" ]; then rm -rf $KS; echo "wiped $KS"; fi
exit 0
