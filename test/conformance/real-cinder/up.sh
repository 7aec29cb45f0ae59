#!/bin/bash
# Bring up real Cinder 21.3 + Ceph 16 + RabbitMQ on loopback, from a wiped state:
#   00-install (apt; skipped when installed) -> 10-ceph-up, 15-mariadb-up and 20-rabbit-up IN PARALLEL -> 30-cinder-up
# State, logs and pids under $VOLMIG_REALCINDER_DIR (default /tmp/volmig-realcinder). Prints one
# timing line per phase; on failure names the phase and its log (the phase itself prints which
# service did not come up and the log lines that say why). Stop with down.sh [--wipe].
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"
T0=$(now_s)
"$HERE/down.sh" --wipe > $LOGS/down-before-up.log 2>&1
# keep the logs of a previous run aside (cinder appends to its log files)
if ls $LOGS/*.log >/dev/null 2>&1; then old=$BASE/logs-old/$(date +%Y%m%d-%H%M%S); mkdir -p $old; mv $LOGS/* $old/ 2>/dev/null; fi
phase() {  # phase SCRIPT : run with output in logs/SCRIPT.log, timing line, loud failure
  local s=$1 t=$(now_s) rc
  "$HERE/$s" > $LOGS/$s.log 2>&1; rc=$?
  printf 'real-cinder %-16s rc=%d %6.1fs\n' "$s" $rc "$(since $t)"
  if [ $rc != 0 ]; then
    echo "real-cinder: phase $s FAILED (exit $rc); its log $LOGS/$s.log ends with:" >&2
    tail -n 60 $LOGS/$s.log | sed 's/^/    /' >&2
    exit $rc
  fi
}
phase 00-install.sh
# Ceph (~20 s), RabbitMQ (~12 s) and MariaDB (~5 s) do not depend on each other: start them side by side
# in_background SCRIPT : run it with &, its own duration in logs/SCRIPT.took
in_background() {
  local s=$1
  ( t=$(now_s); "$HERE/$s" > $LOGS/$s.log 2>&1; rc=$?; since $t > $LOGS/$s.took; exit $rc ) &
}
# background_phase SCRIPT PID : wait for a phase started by in_background, timing line, loud failure
background_phase() {
  local s=$1 pid=$2 rc=0
  wait $pid || rc=$?
  printf 'real-cinder %-16s rc=%d %6.1fs (in parallel with ceph)\n' "$s" $rc "$(cat $LOGS/$s.took 2>/dev/null || echo 0)"
  if [ $rc != 0 ]; then
    echo "real-cinder: phase $s FAILED (exit $rc); its log $LOGS/$s.log ends with:" >&2
    tail -n 60 $LOGS/$s.log | sed 's/^/    /' >&2; exit $rc
  fi
}
in_background 20-rabbit-up.sh; RABBIT=$!
in_background 15-mariadb-up.sh; MARIADB=$!
phase 10-ceph-up.sh
background_phase 15-mariadb-up.sh $MARIADB
background_phase 20-rabbit-up.sh $RABBIT
phase 30-cinder-up.sh
printf 'real-cinder up: total %.1fs (CEPH_CONF=%s)\n' "$(since $T0)" "$CEPH_CONF"
