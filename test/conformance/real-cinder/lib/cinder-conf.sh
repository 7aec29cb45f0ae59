# write_cinder_conf AUTH FILE : Cinder 21.3.1 config for this rig; AUTH = noauth | keystone.
# Sourced by 30-cinder-up.sh (noauth) and ../keystone/30-cinder-keystone.sh (keystone), so both
# modes share every other setting. Needs $BASE and $DB_* (lib/common.sh) and the database password written by
# 15-mariadb-up.sh; keystone mode needs $CINDER_PW.
write_cinder_conf() {
  local auth=$1 file=$2
  local state=$BASE/cinder-state
  local CINDER_DB_PW
  [ -r $DB_DIR/cinder-db.env ] || { echo "write_cinder_conf: no $DB_DIR/cinder-db.env (run 15-mariadb-up.sh first)" >&2; return 1; }
  . $DB_DIR/cinder-db.env
  mkdir -p "$(dirname "$file")" $state/lock $state/tmp
  {
  cat <<CONF
[DEFAULT]
auth_strategy = $auth
# Workaround: the default project_id_regex is [0-9a-f\-]+ (Keystone uuids), so with noauth every
# /v3/admin/... URL was an HTML 404 (project id "admin" does not match). Harmless with Keystone
# (its project ids are 32 hex chars).
project_id_regex = [0-9a-zA-Z\-]+
debug = true
host = realcinder
my_ip = 127.0.0.1
state_path = $state
api_paste_config = /etc/cinder/api-paste.ini
rootwrap_config = /etc/cinder/rootwrap.conf
osapi_volume_listen = 127.0.0.1
osapi_volume_listen_port = 8776
osapi_volume_workers = 1
transport_url = rabbit://guest:guest@127.0.0.1:5672/
enabled_backends = ceph-a,ceph-b
default_volume_type = type-a
# no glance on this rig; the option only has to point somewhere on loopback
glance_api_servers = http://127.0.0.1:9292
volumes_dir = $state/volumes
image_conversion_dir = $state/conversion
# short intervals: the scheduler has both pools' stats ~10 s after start instead of ~60 s
backend_stats_polling_interval = 10
scheduler_driver_init_wait_time = 10
periodic_interval = 10
report_interval = 10
service_down_time = 60
migration_create_volume_timeout_secs = 300
use_stderr = false

[database]
# MariaDB (15-mariadb-up.sh) through PyMySQL, as production Cinder runs: three services write one database
# concurrently (SQLite refused a second writer with "database is locked", HTTP 500 on os-attach mid-copy)
connection = mysql+pymysql://cinder:$CINDER_DB_PW@127.0.0.1:$DB_PORT/cinder?charset=utf8mb4

[oslo_concurrency]
lock_path = $state/lock

[oslo_messaging_notifications]
# 'messagingv2' -> RabbitMQ queue notifications.info, 'log' -> the service log files
driver = messagingv2
driver = log
topics = notifications

[oslo_messaging_rabbit]
heartbeat_timeout_threshold = 0

[coordination]
backend_url = file://$state/coordination
CONF
  if [ "$auth" = keystone ]; then
    cat <<CONF

# keystonemiddleware auth_token (Debian api-paste.ini pipeline "keystone": ... authtoken keystonecontext
# apiv3, used as packaged). Service user cinder in project service (roles admin + service).
[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:5000
auth_url = http://127.0.0.1:5000
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = cinder
password = $CINDER_PW
region_name = RegionOne
interface = public
service_token_roles_required = true
# No memcached here, so keystonemiddleware would cache validated tokens in-process for 300 s and a
# token revoked with DELETE /v3/auth/tokens would keep working; the token-revocation scenario needs
# Cinder to notice the revocation at once, as a cloud with a short cache would. -1 = no cache.
token_cache_time = -1
CONF
  fi
  for b in a b; do
    cat <<CONF

# rbd_user deliberately unset (the cluster runs auth=none). With rbd_user set, os-brick's RBD connector
# (used by generic/host-copy migration) insists on /etc/ceph/ceph.client.<rbd_user>.keyring, and
# rbd_keyring_conf cannot be set from cinder.conf (OSSN-0085). Unset -> auth_username=None, no keyring.
[ceph-$b]
volume_driver = cinder.volume.drivers.rbd.RBDDriver
volume_backend_name = ceph-$b
rbd_pool = volumes-$b
rbd_ceph_conf = $BASE/ceph/ceph.conf
rbd_flatten_volume_from_snapshot = false
rbd_max_clone_depth = 5
rbd_store_chunk_size = 4
rados_connect_timeout = 10
report_discard_supported = true
CONF
  done
  } > "$file"
}

# start_cinder_service SVC : nohup'ed /usr/bin/cinder-SVC with our config, pid in pids/cinder-SVC.pid
start_cinder_service() {
  local svc=$1
  # Workaround (pyfix/sitecustomize.py): python3-oslo.messaging 14.0.3-0+deb12u1 rebuilds the request
  # context with from_dict() without read_deleted -> cinder raises ValueError on every notification
  # (POST /types -> 500). The fix wraps RequestContext.from_dict on import; no file under /usr changes.
  # a simple command with & so that $! is cinder's own pid; stdin/stdout/stderr detached from the caller
  # (a caller reading our output through a pipe must not wait for cinder to exit)
  cd $BASE/cinder-state
  PYTHONPATH=$CINDER_PYFIX${PYTHONPATH:+:$PYTHONPATH} nohup /usr/bin/cinder-$svc \
      --config-file $BASE/etc/cinder.conf --log-file $LOGS/cinder-$svc.log < /dev/null > $LOGS/cinder-$svc.stdout 2>&1 &
  echo $! > $PIDS/cinder-$svc.pid
  cd - > /dev/null
}

# api_answers : cinder-api's version document (not behind auth) answers 300
api_answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8776/)" = 300 ]; }

# wait_cinder_ready HEADER_ARGS_NAME URL_PREFIX : services up, both pools in the scheduler; loud diagnostics
# ($1 is the name of a bash array with the curl auth headers; $2 e.g. http://127.0.0.1:8776/v3/admin)
wait_cinder_ready() {
  local -n hdrs=$1; local p=$2 i n svcs
  for i in $(seq 1 60); do
    svcs=$(curl -s "${hdrs[@]}" -H 'OpenStack-API-Version: volume 3.60' $p/os-services 2>/dev/null || true)
    n=$(echo "$svcs" | jq '[.services[]|select(.state=="up")]|length' 2>/dev/null || echo 0)
    [ "$n" = 3 ] && break; sleep 2
  done
  if [ "$n" != 3 ]; then
    echo "os-services: $(echo "$svcs" | jq -c '[.services[]?|{binary,host,state,status}]' 2>/dev/null || echo "$svcs")" >&2
    local s
    for s in scheduler volume; do
      echo "$svcs" | jq -e --arg b cinder-$s '[.services[]?|select(.binary==$b and .state=="up")]|length>0' >/dev/null 2>&1 \
        || diagnose cinder-$s "not reported 'up' in os-services within 120 s" $LOGS/cinder-$s.log $LOGS/cinder-$s.stdout
    done
    [ "$s" = volume ] && echo "$svcs" | jq -e '[.services[]?|select(.binary=="cinder-volume" and .state=="up")]|length==1' >/dev/null 2>&1 \
      && diagnose cinder-volume "only one of the two backends (ceph-a, ceph-b) is up" $LOGS/cinder-volume.log
    return 1
  fi
  for i in $(seq 1 60); do
    n=$(curl -s "${hdrs[@]}" "$p/scheduler-stats/get_pools" | jq '.pools|length' 2>/dev/null || echo 0)
    [ "$n" = 2 ] && return 0; sleep 2
  done
  echo "get_pools: $(curl -s "${hdrs[@]}" "$p/scheduler-stats/get_pools")" >&2
  diagnose cinder-scheduler "the scheduler does not list both pools (ceph-a, ceph-b) within 120 s" $LOGS/cinder-scheduler.log $LOGS/cinder-volume.log
  return 1
}
