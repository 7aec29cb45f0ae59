#!/bin/bash
# Stop every process started by up.sh / the keystone scripts, strictly by PID: each pids/*.pid plus that
# PID's descendants (pgrep -P, recursively). Never by name. --wipe also deletes the state dirs.
# Order: keystone first, then cinder (api, volume, scheduler), mariadb, rabbit, epmd, ceph (osd, mgr, mon).
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"
ORDER="keystone-uwsgi cinder-api cinder-volume cinder-scheduler mariadb rabbitmq-server epmd ceph-osd ceph-mgr ceph-mon"
for name in $ORDER $(ls $PIDS 2>/dev/null | sed 's/\.pid$//'); do
  [ -e "$PIDS/$name.pid" ] && stop_pidfile "$PIDS/$name.pid"
done
if [ "${1:-}" = "--wipe" ]; then
  rm -rf $BASE/ceph $BASE/cinder-state $BASE/rabbitmq $BASE/mariadb $BASE/etc $BASE/keystone $BASE/data
  echo "wiped $BASE/{ceph,cinder-state,rabbitmq,mariadb,etc,keystone,data}"
fi
exit 0
