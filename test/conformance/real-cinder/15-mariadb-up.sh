#!/bin/bash
# Phase 1b: MariaDB 10.11 (Debian mariadb-server) for Cinder's database, as production Cinder runs it:
#   own datadir $BASE/mariadb/data (mariadb-install-db), socket $BASE/mariadb/run/mariadbd.sock, TCP 127.0.0.1:$DB_PORT
#   (13306, not 3306: a system MariaDB may own that), started by us with --no-defaults (the packaged
#   /etc/mysql is neither read nor changed) and stopped by PID (down.sh). Database `cinder`, user `cinder`@127.0.0.1
#   with a random password in $BASE/mariadb/cinder-db.env (mode 600), which lib/cinder-conf.sh puts into
#   [database] connection = mysql+pymysql://... (python3-pymysql, a dependency of Debian's python3-cinder).
# Durability knobs are off (no fsync per commit, no doublewrite, no binlog): a throwaway loopback test database,
# and db sync's ~200 DDL statements are what the rig waits for.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"
T0=$(now_s)
if [ -e "$DB_DIR/data" ]; then echo "$DB_DIR exists; run down.sh --wipe first" >&2; exit 1; fi
mkdir -p $DB_DIR/{data,run,log}
mariadb-install-db --no-defaults --user=root --datadir=$DB_DIR/data --auth-root-authentication-method=socket \
    --skip-test-db --skip-name-resolve > $DB_DIR/log/install-db.log 2>&1 \
  || { diagnose mariadb "mariadb-install-db failed" $DB_DIR/log/install-db.log; exit 1; }
echo "datadir initialised after $(since $T0)s"
nohup /usr/sbin/mariadbd --no-defaults --user=root --datadir=$DB_DIR/data \
    --socket=$DB_SOCKET --bind-address=127.0.0.1 --port=$DB_PORT --pid-file=$DB_DIR/run/mariadbd.pid \
    --log-error=$DB_DIR/log/error.log --skip-name-resolve --skip-log-bin \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci --max-connections=300 \
    --innodb-buffer-pool-size=128M --innodb-log-file-size=64M --innodb-flush-log-at-trx-commit=0 \
    --innodb-doublewrite=0 --innodb-flush-method=nosync \
    < /dev/null > $DB_DIR/log/mariadbd.stdout 2>&1 &
echo $! > $PIDS/mariadb.pid
if ! wait_until 60 mariadb-admin --no-defaults --socket=$DB_SOCKET -u root ping; then
  diagnose mariadb "no answer to mariadb-admin ping on $DB_SOCKET within 60 s" $DB_DIR/log/error.log $DB_DIR/log/mariadbd.stdout; exit 1
fi
echo "mariadbd answers after $(since $T0)s"
DB_PW=cinder-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf 'CINDER_DB_PW=%s\n' "$DB_PW" > $DB_DIR/cinder-db.env
chmod 600 $DB_DIR/cinder-db.env
db_root <<SQL || { diagnose mariadb "creating database/user cinder failed" $DB_DIR/log/error.log; exit 1; }
CREATE DATABASE cinder;
CREATE USER 'cinder'@'127.0.0.1' IDENTIFIED BY '$DB_PW';
GRANT ALL PRIVILEGES ON cinder.* TO 'cinder'@'127.0.0.1';
SQL
# the account Cinder uses, over TCP as Cinder connects
mariadb --no-defaults -h 127.0.0.1 -P $DB_PORT -u cinder -p"$DB_PW" cinder -e 'SELECT 1' > /dev/null \
  || { diagnose mariadb "user cinder cannot log in over 127.0.0.1:$DB_PORT" $DB_DIR/log/error.log; exit 1; }
db_root -N -e 'SELECT VERSION()'
echo "mariadb phase took $(since $T0)s"
