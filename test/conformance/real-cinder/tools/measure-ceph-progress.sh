#!/bin/bash
# Measure what Ceph shows while real Cinder migrates a 3 GiB volume from ceph-a to ceph-b (the facts behind
# docs/progress-reporting.md "Ceph progress: what was measured"). Needs the rig up (../up.sh), noauth.
#   measure-ceph-progress.sh full|sparse generic|rbd [INTERVAL_S]
# full: rbd bench writes all 3 GiB; sparse: 4 MiB of random data in every 10th 4 MiB object (77 objects, 308 MiB).
# generic: os-migrate_volume with force_host_copy (file I/O into volume-<target id>); rbd: the RBD driver's own
# copy (source.copy(target_ioctx, volume.name): volume-<source id> in volumes-b).
# Every INTERVAL_S (default 0.5): the volume's and the target's status/migration_status/updated_at and one
# `rbd du --format json -p volumes-b` (how long it took, too); JSON lines on stdout, summary on stderr.
# Deletes the volume and purges both pools' trash at the end.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/common.sh"
FILL=${1:?full|sparse}; PATH_KIND=${2:?generic|rbd}; IV=${3:-0.5}
P=http://127.0.0.1:8776/v3/admin
H=(-H 'X-Auth-Token: admin:admin' -H 'OpenStack-API-Version: volume 3.60' -H 'Content-Type: application/json')
api() { curl -s "${H[@]}" "$@"; }
vol() { api $P/volumes/$1 | jq -c '.volume'; }
wait_vol() {  # wait_vol ID JQ_CONDITION
  local i; for i in $(seq 1 600); do vol $1 | jq -e "$2" > /dev/null && return 0; sleep 0.5; done; echo "timeout: $1 $2" >&2; return 1
}
ms() { date +%s%3N; }
NAME=measure-$FILL-$PATH_KIND-$$
ID=$(api -X POST $P/volumes -d "{\"volume\":{\"size\":3,\"name\":\"$NAME\",\"volume_type\":\"type-a\"}}" | jq -r .volume.id)
wait_vol $ID '.status=="available"'
api -X POST $P/volumes/$ID/action -d '{"os-retype":{"new_type":"type-any","migration_policy":"never"}}' > /dev/null
wait_vol $ID '.volume_type=="type-any" and .status=="available"'
IMG=volumes-a/volume-$ID
t=$(ms)
if [ $FILL = full ]; then
  rbd bench --io-type write --io-size 4M --io-total 3G $IMG > /dev/null
else
  /usr/bin/python3 - "$CEPH_CONF" volumes-a volume-$ID <<'PY'
import os, sys, rados, rbd
c = rados.Rados(conffile=sys.argv[1]); c.connect(); io = c.open_ioctx(sys.argv[2]); img = rbd.Image(io, sys.argv[3])
for i in range(0, img.size() // (4 << 20), 10):
    img.write(os.urandom(4 << 20), i * (4 << 20))
img.flush(); img.close(); io.close(); c.shutdown()
PY
fi
echo "filled ($FILL) in $(( $(ms) - t )) ms" >&2
SRC_DU=$(rbd du --format json $IMG | jq -c '.images[0]|{provisioned_size,used_size}')
SRC_DIFF=$(rbd diff --format json $IMG | jq '[.[].length]|add')
echo "source $IMG: du $SRC_DU, rbd diff extents sum $SRC_DIFF" >&2
jq -nc --arg id $ID --argjson du "$SRC_DU" --argjson diff "${SRC_DIFF:-0}" '{event:"source",volume_id:$id,du:$du,diff_bytes:$diff}'
if [ $PATH_KIND = generic ]; then FHC=true; else FHC=false; fi
T0=$(ms)
code=$(curl -s -o /dev/null -w '%{http_code}' "${H[@]}" -X POST $P/volumes/$ID/action \
  -d "{\"os-migrate_volume\":{\"host\":\"realcinder@ceph-b#ceph-b\",\"force_host_copy\":$FHC,\"lock_volume\":false}}")
[ "$code" = 202 ] || { echo "migrate: HTTP $code" >&2; exit 1; }
TARGET=""
while :; do
  now=$(( $(ms) - T0 ))
  v=$(vol $ID)
  if [ -z "$TARGET" ]; then
    TARGET=$(api "$P/volumes/detail?all_tenants=1" | jq -r --arg s "target:$ID" '[.volumes[]|select(.migration_status==$s)][0].id // empty')
  fi
  tv=null; [ -n "$TARGET" ] && tv=$(vol $TARGET)
  d0=$(ms); du_rc=0; du=$(rbd du --format json -p volumes-b 2> $LOGS/measure-du.err) || du_rc=$?; dt=$(( $(ms) - d0 ))
  du_err=$(grep -v AdminSocket $LOGS/measure-du.err | head -c 300 || true)
  jq -nc --argjson t $now --argjson v "$v" --argjson tv "$tv" --argjson du "$(echo "$du" | jq -c . 2>/dev/null || echo '{"unparsed":true}')" \
     --argjson dt $dt --argjson du_rc $du_rc --arg du_err "$du_err" --arg id $ID --arg tid "$TARGET" '{t:$t,
      volume:{status:$v.status,migstat:$v.migration_status,host:$v["os-vol-host-attr:host"],updated_at:$v.updated_at},
      target:(if $tv then {id:$tid,status:$tv.status,migstat:$tv.migration_status,updated_at:$tv.updated_at} else null end),
      du_ms:$dt, du_rc:$du_rc, du_err:$du_err, du_images:[$du.images[]?.name|.[7:15]],
      dest:[$du.images[]?|select(.name=="volume-"+$id or .name=="volume-"+$tid)|{name,used_size,provisioned_size}]}'
  ms_=$(echo "$v" | jq -r .migration_status)
  [ "$ms_" = success ] || [ "$ms_" = error ] && break
  sleep $IV
done
echo "migration ended $ms_ after $(( $(ms) - T0 )) ms; target $TARGET" >&2
rbd du --format json -p volumes-b | jq -c --arg id $ID '{event:"final",images:[.images[]|select(.name=="volume-"+$id)]}'
rbd info --format json volumes-b/volume-$ID | jq -c '{event:"final-info",features,size}'
api -X DELETE $P/volumes/$ID > /dev/null
for i in $(seq 1 60); do [ "$(curl -s -o /dev/null -w '%{http_code}' "${H[@]}" $P/volumes/$ID)" = 404 ] && break; sleep 0.5; done
for p in volumes-a volumes-b; do rbd trash purge $p > /dev/null 2>&1 || true; done
echo "cleaned: $(rbd ls -p volumes-a | wc -l) images in volumes-a, $(rbd ls -p volumes-b | wc -l) in volumes-b" >&2
