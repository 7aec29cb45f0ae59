#!/bin/bash
# Brings up a RabbitMQ for the notification integration test, loopback only, and writes what the test needs:
#   $VOLMIG_RABBIT_DIR/transport_url   oslo URL of a private vhost (rabbit://guest:guest@127.0.0.1:PORT/volmig-test)
#   $VOLMIG_RABBIT_DIR/mode            "own" (started here, stopped by rabbit-down.sh) or "reused"
# Installs rabbitmq-server and python3-oslo.messaging from Debian if missing (root + apt, as in CI).
# If a broker already answers on 127.0.0.1:5672 (e.g. real Cinder's, from shared/realcinder/20-rabbit-up.sh) it is
# reused; the private vhost keeps the test's messages out of its notifications.* queues.
# Exit codes: 0 ready; 3 cannot install (not root / no apt); 4 broker did not start. Messages go to stderr.
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/../../lib/rabbit-node.sh"
STATE=${VOLMIG_RABBIT_DIR:-/tmp/volmig-rabbit}
REALCINDER=${REALCINDER_DIR:-/tmp/realcinder}
VHOST=volmig-test
# One Erlang node name per state directory, so that several of these brokers can share epmd.
NODE=volmig-$(printf %s "$STATE" | cksum | cut -d' ' -f1)@localhost
PY=/usr/bin/python3
R=$STATE/rabbitmq
PIDS=$STATE/pids
say() { echo "rabbit-up: $*" >&2; }
mkdir -p "$STATE" "$PIDS"
rm -f "$STATE/transport_url" "$STATE/mode"

# --- packages -------------------------------------------------------------------------------------------------
need=()
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=(rabbitmq-server)
{ [ -x $PY ] && $PY -c 'import oslo_messaging' 2>/dev/null; } || need+=(python3-oslo.messaging)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "missing ${need[*]} and cannot install them (needs root and apt-get)"
    exit 3
  fi
  say "installing ${need[*]} from apt (waiting for the dpkg lock if another install holds it)"
  export DEBIAN_FRONTEND=noninteractive
  # No systemd here: the package's init script would start a broker on 0.0.0.0 with default settings.
  POLICY=/usr/sbin/policy-rc.d
  CREATED_POLICY=0
  if [ ! -e $POLICY ]; then printf '#!/bin/sh\nexit 101\n' > $POLICY; chmod +x $POLICY; CREATED_POLICY=1; fi
  trap '[ $CREATED_POLICY = 1 ] && rm -f $POLICY' EXIT
  APT=(apt-get -o DPkg::Lock::Timeout=1200 install -y --no-install-recommends)
  if ! "${APT[@]}" "${need[@]}" >&2; then
    apt-get -o DPkg::Lock::Timeout=1200 update >&2
    "${APT[@]}" "${need[@]}" >&2 || { say "apt-get install ${need[*]} failed"; exit 3; }
  fi
  if [ $CREATED_POLICY = 1 ]; then rm -f $POLICY; fi
  trap - EXIT
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] && $PY -c 'import oslo_messaging' || { say "installed, yet rabbitmq-server or oslo_messaging is still missing"; exit 3; }
fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
amqp_answers() {  # guest login on the default vhost works
  $PY - "$1" <<'PY' >/dev/null 2>&1
import sys, kombu
with kombu.Connection('amqp://guest:guest@127.0.0.1:%s//' % sys.argv[1], connect_timeout=5) as c:
    c.connect()
PY
}
# rabbitmqctl against the node whose env file ($1) we have: creates the private vhost for guest.
make_vhost() {
  ( . "$1"
    rabbitmqctl -q add_vhost $VHOST >/dev/null 2>&1 || true
    rabbitmqctl -q set_permissions -p $VHOST guest '.*' '.*' '.*' >/dev/null )
}
publish_url() {
  echo "rabbit://guest:guest@127.0.0.1:$1/$VHOST" > "$STATE/transport_url"
  echo "$2" > "$STATE/mode"
  say "ready ($2): rabbit://guest:***@127.0.0.1:$1/$VHOST"
}

# --- our own node left running by an earlier rabbit-up.sh stays ours (rabbit-down.sh stops it) -----------------
if [ -f "$R/env.sh" ] && kill -0 "$(cat $PIDS/rabbitmq-server.pid 2>/dev/null)" 2>/dev/null && make_vhost "$R/env.sh"; then
  publish_url "$(sed -n 's/^NODE_PORT=//p' $R/rabbitmq-env.conf)" own
  exit 0
fi

# --- reuse a broker already on 5672 (real Cinder's) ------------------------------------------------------------
if port_busy 5672 && amqp_answers 5672; then
  if [ -f "$REALCINDER/rabbitmq/env.sh" ] && make_vhost "$REALCINDER/rabbitmq/env.sh"; then
    echo "$REALCINDER/rabbitmq/env.sh" > "$STATE/reused_env"
    publish_url 5672 reused
    exit 0
  fi
  say "a broker answers on 127.0.0.1:5672 but no rabbitmqctl environment of ours reaches it (REALCINDER_DIR=$REALCINDER) to add vhost $VHOST; starting our own"
fi

# --- start our own ---------------------------------------------------------------------------------------------
PORT=5672
while port_busy $PORT; do PORT=$((PORT + 1)); [ $PORT -lt 5700 ] || { say "no free AMQP port in 5672-5699"; exit 4; }; done
DIST=25673
while port_busy $DIST; do DIST=$((DIST + 1)); [ $DIST -lt 25700 ] || { say "no free Erlang distribution port"; exit 4; }; done
write_rabbit_node_conf $R $NODE $PORT $DIST
. $R/env.sh
if ! epmd -names >/dev/null 2>&1; then
  # In the foreground so that we own its PID (rabbit-down.sh stops it only if no other node uses it).
  nohup epmd -address 127.0.0.1 > $R/log/epmd.stdout 2>&1 &
  echo $! > $PIDS/epmd.pid
  sleep 1
fi
cd $R
nohup /usr/lib/rabbitmq/bin/rabbitmq-server > $R/log/server.stdout 2>&1 &
echo $! > $PIDS/rabbitmq-server.pid
say "starting RabbitMQ node $NODE on 127.0.0.1:$PORT (data in $R)"
ok=0
for _ in $(seq 1 60); do
  kill -0 "$(cat $PIDS/rabbitmq-server.pid)" 2>/dev/null || break
  if rabbitmqctl -q await_startup >/dev/null 2>&1; then ok=1; break; fi
  sleep 2
done
if [ $ok != 1 ]; then
  say "RabbitMQ did not start; last lines of $R/log/server.stdout:"
  tail -20 $R/log/server.stdout >&2 || true
  exit 4
fi
make_vhost $R/env.sh
publish_url $PORT own
