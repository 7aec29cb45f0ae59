# Shared helpers for the real-Cinder conformance scripts (sourced, not executed).
# State lives under $VOLMIG_REALCINDER_DIR (default /tmp/volmig-realcinder) so that a run never
# touches the shared recipe's /tmp/realcinder and can be wiped as a whole.
BASE=${VOLMIG_REALCINDER_DIR:-/tmp/volmig-realcinder}
PIDS=$BASE/pids
LOGS=$BASE/logs
mkdir -p "$BASE" "$PIDS" "$LOGS"
export CEPH_CONF=$BASE/ceph/ceph.conf
# the Debian CLIs and python3-rbd live under /usr/bin/python3; `python3` on PATH may be pyenv's
PY=/usr/bin/python3

now_s() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

# pid_alive NAME -> 0 when pids/NAME.pid names a live process
pid_alive() { [ -e "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

# diagnose SERVICE WHAT LOGFILE... : one loud block saying which service did not come up,
# whether its process is still alive, and the log lines that explain why (errors first, then the tail).
diagnose() {
  local svc=$1 what=$2; shift 2
  {
    echo "=================================================================="
    echo "NOT READY: $svc -- $what"
    if [ -e "$PIDS/$svc.pid" ]; then
      if pid_alive "$svc"; then echo "process: pid $(cat "$PIDS/$svc.pid") is running"
      else echo "process: pid $(cat "$PIDS/$svc.pid") has EXITED"; fi
    fi
    local f
    for f in "$@"; do
      [ -e "$f" ] || { echo "--- $f: (no such file)"; continue; }
      echo "--- $f: error lines (last 15)"
      grep -E 'ERROR|CRITICAL|Traceback|Error:|error:|FATAL|failed' "$f" | tail -n 15
      echo "--- $f: last 15 lines"
      tail -n 15 "$f"
    done
    echo "=================================================================="
  } >&2
}

# wait_until SECONDS CMD... : poll CMD every second until it succeeds; 1 on timeout
wait_until() {
  local max=$1; shift
  local i
  for i in $(seq 1 "$max"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  return 1
}

# descendants of a pid (recursive pgrep -P): teardown stops a service's whole tree by PID, never by name
pid_tree() { local p=$1 c; echo "$p"; for c in $(pgrep -P "$p" 2>/dev/null); do pid_tree "$c"; done; }

# stop_pidfile FILE: TERM the pid + descendants, KILL what is left after 15 s, remove the file
stop_pidfile() {
  local f=$1 name pid pids alive p i
  [ -e "$f" ] || return 0
  name=$(basename "$f" .pid); pid=$(cat "$f")
  if ! kill -0 "$pid" 2>/dev/null; then echo "$name: pid $pid not running"; rm -f "$f"; return 0; fi
  pids=$(pid_tree "$pid" | tr '\n' ' ')
  kill -TERM $pids 2>/dev/null
  echo "TERM -> $name: $pids"
  alive=""
  for i in $(seq 1 30); do
    alive=""; for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
    [ -z "$alive" ] && break; sleep 0.5
  done
  if [ -n "$alive" ]; then kill -KILL $alive 2>/dev/null; echo "KILL -> $name:$alive"; fi
  rm -f "$f"
}

# MariaDB for Cinder's database: own datadir, socket and port under $BASE, loopback only (15-mariadb-up.sh)
DB_DIR=$BASE/mariadb
DB_PORT=${VOLMIG_MARIADB_PORT:-13306}
DB_SOCKET=$DB_DIR/run/mariadbd.sock
# db_root SQL... : the mariadb client as root over the private socket (unix_socket auth: we are root)
db_root() { mariadb --no-defaults --socket=$DB_SOCKET -u root "$@"; }
