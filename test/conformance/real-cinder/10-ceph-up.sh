#!/bin/bash
# Phase 1: single-node Ceph 16.2 (1 mon, 1 mgr, 1 OSD) confined to 127.0.0.1, micro-osd.sh style,
# with two RBD pools volumes-a / volumes-b (one per Cinder backend).
# OSD = bluestore on a 20 GiB sparse file (OBJECTSTORE=memstore to use RAM instead).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"
DIR=$BASE/ceph
OBJECTSTORE=${OBJECTSTORE:-bluestore}
OSD_SIZE=${OSD_SIZE:-20G}
T0=$(now_s)
if [ -e "$DIR/ceph.conf" ]; then echo "$DIR exists; run down.sh --wipe first" >&2; exit 1; fi
mkdir -p $DIR/{mon,mgr,osd,log,run}
FSID=$(uuidgen)
# auth=none: a loopback-only test cluster; it also lets Cinder run without rbd_user (see 30-cinder-up.sh).
# size 1 / chooseleaf 0 / pool size one: one OSD must be enough for HEALTH_OK and active+clean PGs.
# bluestore block path must NOT be <osd data>/block: bluestore symlinks that path to the block
# file itself -> ELOOP at mkfs. Hence ceph/osd-block.img.
cat > $DIR/ceph.conf <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:3300,v1:127.0.0.1:6789
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
ms bind ipv6 = false
run dir = $DIR/run
admin socket = $DIR/run/\$cluster-\$name.asok
log file = $DIR/log/\$name.log
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
osd pool default size = 1
osd pool default min size = 1
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
mon warn on insecure global id reclaim = false
mon allow pool delete = true
osd pool default pg autoscale mode = off
rbd default features = 61
[mon.a]
mon data = $DIR/mon
mon cluster log file = $DIR/log/mon-cluster.log
mon data avail crit = 0
mon data avail warn = 1
mgr initial modules = iostat
[mgr.x]
mgr data = $DIR/mgr
[osd.0]
osd data = $DIR/osd
osd objectstore = $OBJECTSTORE
bluestore block path = $DIR/osd-block.img
bluestore block create = true
bluestore block size = $OSD_SIZE
bluestore fsck on mkfs = false
bluestore block db create = false
bluestore block wal create = false
memstore device bytes = 8589934592
osd class load list = *
osd class default list = *
osd max object name len = 256
osd max object namespace len = 64
CONF

# --- mon
monmaptool --create --clobber --fsid $FSID --addv a '[v2:127.0.0.1:3300,v1:127.0.0.1:6789]' $DIR/monmap >/dev/null
ceph-mon --id a --mkfs --monmap $DIR/monmap --keyring /dev/null
touch $DIR/mon/keyring
nohup ceph-mon --id a -f > $DIR/log/mon.stdout 2>&1 &
echo $! > $PIDS/ceph-mon.pid
if ! wait_until 60 timeout 10 ceph -s; then
  diagnose ceph-mon "no answer to 'ceph -s' on 127.0.0.1:3300 within 60 s" $DIR/log/mon.stdout $DIR/log/mon.a.log; exit 1
fi
echo "ceph-mon up after $(since $T0)s"

# --- mgr
nohup ceph-mgr --id x -f > $DIR/log/mgr.stdout 2>&1 &
echo $! > $PIDS/ceph-mgr.pid

# --- osd
OSD_ID=$(ceph osd create)
ceph osd crush add osd.$OSD_ID 1 root=default
ceph-osd --id $OSD_ID --mkfs > $DIR/log/osd-mkfs.log 2>&1 || { diagnose ceph-osd "mkfs failed" $DIR/log/osd-mkfs.log; exit 1; }
nohup ceph-osd --id $OSD_ID -f > $DIR/log/osd.stdout 2>&1 &
echo $! > $PIDS/ceph-osd.pid
osd_up() { ceph osd stat -f json 2>/dev/null | jq -e '.num_up_osds==1'; }
if ! wait_until 90 osd_up; then
  diagnose ceph-osd "osd.$OSD_ID not up within 90 s" $DIR/log/osd.stdout $DIR/log/osd.$OSD_ID.log; exit 1
fi
echo "ceph-osd up after $(since $T0)s"

# --- two RBD pools
for p in volumes-a volumes-b; do
  ceph osd pool create $p 16 16 replicated
  ceph osd pool set $p size 1 --yes-i-really-mean-it
  rbd pool init $p
done
pgs_clean() { ceph pg stat -f json 2>/dev/null | jq -e '[.pg_summary.num_pg_by_state[]? | select(.name!="active+clean")] | length==0'; }
if ! wait_until 60 pgs_clean; then
  ceph pg stat >&2 || true
  diagnose ceph-osd "placement groups not active+clean within 60 s" $DIR/log/osd.$OSD_ID.log $DIR/log/mon-cluster.log; exit 1
fi
# readiness: an image can be created and removed in both pools
for p in volumes-a volumes-b; do
  rbd create --size 16 $p/volmig-readiness && rbd rm --no-progress $p/volmig-readiness \
    || { diagnose ceph-osd "rbd create/rm in pool $p failed" $DIR/log/osd.$OSD_ID.log; exit 1; }
done
ceph -s
echo "ceph phase took $(since $T0)s"
