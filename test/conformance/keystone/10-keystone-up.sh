#!/bin/bash
# Keystone 22.0.2 (Debian) on 127.0.0.1:5000, configured and bootstrapped from scratch:
#   * config $KS/etc/keystone.conf (the packaged /etc/keystone is neither used nor modified),
#     SQLite $KS/keystone.sqlite, fernet tokens, credential keys
#   * keystone-manage db_sync / fernet_setup / credential_setup / bootstrap (admin/admin, RegionOne,
#     identity endpoints http://127.0.0.1:5000/v3/)
#   * /usr/bin/keystone-wsgi-public under uWSGI, plain HTTP on 127.0.0.1:5000, root, no Apache/init script
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"
T0=$(now_s)
if [ -e "$KS/keystone.sqlite" ]; then echo "$KS/keystone.sqlite exists; run down.sh --wipe first" >&2; exit 1; fi
mkdir -p $KS/{etc,log,fernet-keys,credential-keys}
# key dirs 700: otherwise keystone warns "key_repository is world readable"
chmod 700 $KS/fernet-keys $KS/credential-keys
# fixed test passwords: a loopback-only rig; the scenarios check that none of them ever appears in volmig's output
cat > $KS/secrets.env <<S
ADMIN_PW=Adm1n-Secret-$RANDOM$RANDOM
DEMO_PW=Dem0-Secret-$RANDOM$RANDOM
CINDER_PW=C1nder-Secret-$RANDOM$RANDOM
S
chmod 600 $KS/secrets.env
. $KS/secrets.env
CONF=$KS/etc/keystone.conf
cat > $CONF <<CONF
[DEFAULT]
debug = false
log_dir = $KS/log
log_file = keystone.log
use_stderr = false

[database]
connection = sqlite:///$KS/keystone.sqlite

[token]
provider = fernet
expiration = 3600

[fernet_tokens]
key_repository = $KS/fernet-keys
max_active_keys = 3

[fernet_receipts]
key_repository = $KS/fernet-keys

[credential]
key_repository = $KS/credential-keys

[catalog]
driver = sql
CONF
KM="keystone-manage --config-file $CONF"
# keystone-manage prints a harmless "Exception ignored ... eventlet/green/thread.py" at exit
$KM db_sync > $KS/log/db_sync.log 2>&1 || { diagnose keystone-manage "db_sync failed" $KS/log/db_sync.log; exit 1; }
echo "db_sync ok ($(since $T0)s)"
# everything runs as root here
$KM fernet_setup --keystone-user root --keystone-group root > $KS/log/fernet_setup.log 2>&1
$KM credential_setup --keystone-user root --keystone-group root > $KS/log/credential_setup.log 2>&1
$KM bootstrap --bootstrap-password "$ADMIN_PW" \
  --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
  --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
  --bootstrap-admin-url http://127.0.0.1:5000/v3/ \
  --bootstrap-internal-url http://127.0.0.1:5000/v3/ \
  --bootstrap-public-url http://127.0.0.1:5000/v3/ > $KS/log/bootstrap.log 2>&1 \
  || { diagnose keystone-manage "bootstrap failed" $KS/log/bootstrap.log; exit 1; }
echo "bootstrap ok ($(since $T0)s)"
# Workaround: SQLite WAL mode (persistent in the DB file). Without it the first write after a token issue
# fails with "database is locked" -> HTTP 500 after 5 s: keystone 22.0.2
# federation/backends/sql.py get_enabled_service_providers() returns a lazy Query from inside
# `with session_for_read()`; render_token iterates it after the session closed, so SQLAlchemy 1.4
# autobegins a new transaction on a new connection that keeps a SHARED lock until garbage collection.
# In rollback-journal mode that lock blocks every writer's commit; in WAL mode readers never block writers.
sqlite3 $KS/keystone.sqlite 'PRAGMA journal_mode=WAL;' >/dev/null
# Not the packaged uwsgi ini/init script (binds all IPs, su's to keystone, apparmor plugin, /var/log).
# keystone.server.flask.core reads $OS_KEYSTONE_CONFIG_DIR/keystone.conf.
# Workarounds:
#  * --add-header 'Connection: close': uwsgi's --http-socket answers HTTP/1.1 without "Connection: close"
#    but closes the socket after each response; pooling clients (keystonemiddleware in cinder-api, the
#    openstack CLI) then sometimes reuse the half-closed socket -> ECONNRESET / RemoteDisconnected.
#  * --processes 3 --threads 1: with threads>1 the leaked SQLite connections (see WAL above) are garbage
#    collected on another thread, pysqlite refuses to close them and the fd + snapshot leak for good.
#  * --procname-prefix-spaced instead of --name (ambiguous for uwsgi's getopt).
nohup /usr/bin/uwsgi --plugins python3 --master --procname-prefix-spaced volmig-ks \
  --http-socket 127.0.0.1:5000 --add-header 'Connection: close' --wsgi-file /usr/bin/keystone-wsgi-public \
  --processes 3 --threads 1 --enable-threads --lazy-apps --die-on-term --no-orphans \
  --buffer-size 65535 --chdir $KS --env OS_KEYSTONE_CONFIG_DIR=$KS/etc \
  >> $KS/log/uwsgi.log 2>&1 &
echo $! > $PIDS/keystone-uwsgi.pid
ks_ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' $KS_URL)" = 200 ]; }
if ! wait_until 60 ks_ready; then
  diagnose keystone-uwsgi "GET $KS_URL did not answer 200 within 60 s" $KS/log/uwsgi.log $KS/log/keystone.log; exit 1
fi
read TOKEN PROJ < <(ks_token admin "$ADMIN_PW" admin)
[ -n "$TOKEN" ] || { diagnose keystone-uwsgi "admin password token refused" $KS/log/keystone.log $KS/log/uwsgi.log; exit 1; }
echo "keystone answers, admin token ok; phase took $(since $T0)s"
