#!/bin/bash
# Undoes rabbit-up.sh: stops the broker it started (by PID, with its descendants; never by name) or, when it reused
# a running broker, only deletes the test's private vhost. epmd is stopped only if we started it and no other
# Erlang node still uses it.
set -uo pipefail
STATE=${VOLMIG_RABBIT_DIR:-/tmp/volmig-rabbit}
VHOST=volmig-test
R=$STATE/rabbitmq
PIDS=$STATE/pids
say() { echo "rabbit-down: $*" >&2; }
tree() { local p=$1; echo "$p"; for c in $(pgrep -P "$p" 2>/dev/null); do tree "$c"; done; }
stop_pid_file() {
  local f=$1 pid pids alive
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if ! kill -0 "$pid" 2>/dev/null; then rm -f "$f"; return 0; fi
  pids=$(tree "$pid" | tr '\n' ' ')
  kill -TERM $pids 2>/dev/null
  for _ in $(seq 1 40); do
    alive=""; for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
    [ -z "$alive" ] && break; sleep 0.5
  done
  [ -n "$alive" ] && { kill -KILL $alive 2>/dev/null; say "had to KILL$alive"; }
  rm -f "$f"
}

mode=$(cat "$STATE/mode" 2>/dev/null || echo none)
if [ "$mode" = reused ]; then
  envfile=$(cat "$STATE/reused_env")
  if ( . "$envfile"; rabbitmqctl -q delete_vhost $VHOST >/dev/null ); then
    say "deleted vhost $VHOST from the reused broker (left it running)"
  else
    say "could not delete vhost $VHOST from the reused broker"
  fi
else
  if [ -f "$PIDS/rabbitmq-server.pid" ]; then
    # A clean stop first (flushes mnesia); the PID tree is the fallback.
    ( . "$R/env.sh"; timeout 30 rabbitmqctl -q stop >/dev/null 2>&1 ) || true
    stop_pid_file "$PIDS/rabbitmq-server.pid"
    say "stopped our RabbitMQ"
  fi
  if [ -f "$PIDS/epmd.pid" ]; then
    if ERL_EPMD_ADDRESS=127.0.0.1 epmd -names 2>/dev/null | grep -q '^name '; then
      say "left epmd running: other Erlang nodes are registered with it"
    else
      stop_pid_file "$PIDS/epmd.pid"
    fi
  fi
fi
rm -f "$STATE/mode" "$STATE/transport_url" "$STATE/reused_env"
