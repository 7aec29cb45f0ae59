# Shared by the real-Cinder rig (test/conformance/real-cinder/20-rabbit-up.sh) and the notifications
# integration stage (test/integration/rabbit/rabbit-up.sh): the files a loopback-only RabbitMQ node needs.
# Source it, then: write_rabbit_node_conf DIR NODENAME AMQP_PORT DIST_PORT
#  * HOME=DIR so the Erlang cookie is ours (rabbitmqctl finds it through DIR/env.sh);
#  * AMQP and the Erlang distribution port are bound to 127.0.0.1 (-kernel inet_dist_use_interface);
#  * no plugins, guest/guest allowed from loopback only.
write_rabbit_node_conf() {
  local dir=$1 node=$2 port=$3 dist=$4
  mkdir -p "$dir/mnesia" "$dir/log"
  [ -f "$dir/.erlang.cookie" ] || { head -c 20 /dev/urandom | md5sum | cut -c1-20 > "$dir/.erlang.cookie"; chmod 400 "$dir/.erlang.cookie"; }
  cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$port
loopback_users.guest = true
log.file.level = info
CONF
  cat > "$dir/rabbitmq-env.conf" <<CONF
NODENAME=$node
NODE_IP_ADDRESS=127.0.0.1
NODE_PORT=$port
DIST_PORT=$dist
CONFIG_FILE=$dir/rabbitmq.conf
MNESIA_BASE=$dir/mnesia
LOG_BASE=$dir/log
ENABLED_PLUGINS_FILE=$dir/enabled_plugins
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
CONF
  echo '[].' > "$dir/enabled_plugins"
  cat > "$dir/env.sh" <<CONF
export HOME=$dir
export RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env.conf
export RABBITMQ_NODENAME=$node
export ERL_EPMD_ADDRESS=127.0.0.1
export PATH=/usr/lib/rabbitmq/bin:\$PATH
CONF
}
