#!/bin/bash
# Keystone target on top of a running real-cinder rig (../real-cinder/up.sh first):
#   00-install (apt; skipped when installed) -> 10-keystone-up -> 20-keystone-resources -> 30-cinder-keystone
# Prints one timing line per phase; on failure names the phase and shows the end of its log.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"
T0=$(now_s)
"$HERE/down.sh" --wipe > $LOGS/keystone-down-before-up.log 2>&1
for s in 00-install.sh 10-keystone-up.sh 20-keystone-resources.sh 30-cinder-keystone.sh; do
  t=$(now_s)
  "$HERE/$s" > $LOGS/keystone-$s.log 2>&1; rc=$?
  printf 'keystone %-26s rc=%d %6.1fs\n' "$s" $rc "$(since $t)"
  if [ $rc != 0 ]; then
    echo "keystone: phase $s FAILED (exit $rc); its log $LOGS/keystone-$s.log ends with:" >&2
    tail -n 60 $LOGS/keystone-$s.log | sed 's/^/    /' >&2
    exit $rc
  fi
done
printf 'keystone up: total %.1fs (clouds.yaml: %s)\n' "$(since $T0)" "$KS/clouds.yaml"
