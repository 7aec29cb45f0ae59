#!/bin/bash
# Phase 3: Cinder 21.3.1 (Debian bookworm) api/scheduler/volume as plain background processes (root,
# --config-file only, no systemd), noauth, MariaDB (15-mariadb-up.sh), RabbitMQ on loopback, two RBD backends
# (ceph-a -> pool volumes-a, ceph-b -> pool volumes-b), cinder-api on 127.0.0.1:8776.
# Volume types: type-a (pinned to ceph-a), type-b (pinned to ceph-b), type-any (no pin).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"
. "$HERE/lib/cinder-conf.sh"
CINDER_PYFIX=$HERE/pyfix
T0=$(now_s)
if api_answers; then echo "something already answers on 127.0.0.1:8776; stop it first (down.sh)" >&2; exit 1; fi
write_cinder_conf noauth $BASE/etc/cinder.conf
cinder-manage --config-file $BASE/etc/cinder.conf db sync > $LOGS/cinder-db-sync.log 2>&1 \
  || { diagnose cinder-manage "db sync failed" $LOGS/cinder-db-sync.log; exit 1; }
echo "db sync ok ($(since $T0)s)"
for svc in scheduler volume api; do start_cinder_service $svc; done
if ! wait_until 60 api_answers; then
  diagnose cinder-api "GET http://127.0.0.1:8776/ did not answer 300 within 60 s" $LOGS/cinder-api.log $LOGS/cinder-api.stdout; exit 1
fi
echo "cinder-api answers after $(since $T0)s"
H=(-H 'X-Auth-Token: admin:admin')
P=http://127.0.0.1:8776/v3/admin
wait_cinder_ready H $P
echo "3 services up, 2 pools after $(since $T0)s"
# type-a -> ceph-a, type-b -> ceph-b, type-any -> no pin. type-any is what plain os-migrate_volume between
# the backends needs: the scheduler re-runs the filters with the volume's type, so a volume of a type
# pinned to ceph-a can never move to ceph-b (migstat 'error'; a scenario relies on exactly that).
for t in type-a:ceph-a type-b:ceph-b type-any:; do
  name=${t%%:*}; be=${t#*:}
  if [ -n "$be" ]; then specs="{\"volume_backend_name\":\"$be\"}"; else specs="{}"; fi
  if ! curl -s "${H[@]}" $P/types | jq -e ".volume_types[]|select(.name==\"$name\")" >/dev/null; then
    code=$(curl -s -o $LOGS/type-create.json -w '%{http_code}' "${H[@]}" -H 'Content-Type: application/json' -X POST $P/types \
      -d "{\"volume_type\":{\"name\":\"$name\",\"os-volume-type-access:is_public\":true,\"extra_specs\":$specs}}")
    [ "$code" = 200 ] || { echo "POST /types $name -> HTTP $code: $(cat $LOGS/type-create.json)" >&2
      diagnose cinder-api "volume type $name could not be created" $LOGS/cinder-api.log; exit 1; }
  fi
done
curl -s "${H[@]}" $P/types | jq -c '[.volume_types[]|{name,extra_specs}]'
curl -s "${H[@]}" "$P/scheduler-stats/get_pools" | jq -c '[.pools[].name]'
echo "cinder phase took $(since $T0)s"
