#!/bin/bash
# Phase 2: RabbitMQ 3.10.8 (Debian) as a plain background process, loopback only:
# AMQP 127.0.0.1:5672 (guest/guest), epmd 127.0.0.1:4369, Erlang distribution 127.0.0.1:25672.
# Workarounds:
#  * /usr/lib/rabbitmq/bin/rabbitmq-server is run directly: the /usr/sbin wrapper su's to the rabbitmq
#    user and logs to /var/log.
#  * HOME=rabbitmq/ so the Erlang cookie is ours (rabbitmqctl finds it through env.sh).
#  * epmd is started by us with -address 127.0.0.1 (we own its PID; otherwise it binds 0.0.0.0
#    and outlives the run), and the distribution port is pinned to loopback with
#    -kernel inet_dist_use_interface {127,0,0,1}.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"
. "$HERE/../../lib/rabbit-node.sh"
R=$BASE/rabbitmq
T0=$(now_s)
write_rabbit_node_conf $R rabbit@localhost 5672 25672
. $R/env.sh
nohup epmd -address 127.0.0.1 > $R/log/epmd.stdout 2>&1 &
echo $! > $PIDS/epmd.pid
sleep 1
cd $R
nohup /usr/lib/rabbitmq/bin/rabbitmq-server > $R/log/server.stdout 2>&1 &
echo $! > $PIDS/rabbitmq-server.pid
if ! wait_until 90 rabbitmqctl -q await_startup; then
  diagnose rabbitmq-server "rabbitmqctl await_startup did not succeed within 90 s" $R/log/server.stdout $R/log/rabbit@localhost.log
  exit 1
fi
rabbitmqctl -q status | grep -iE 'RabbitMQ version|Erlang' | head -3 || true
echo "rabbit phase took $(since $T0)s"
