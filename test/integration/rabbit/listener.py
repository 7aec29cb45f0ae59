#!/usr/bin/python3
"""A real oslo.messaging notification listener (what Ceilometer's agent runs), for volmig's integration test.

Usage: /usr/bin/python3 listener.py TRANSPORT_URL [--pool NAME | --no-pool] [--timeout SECONDS]

Listens on Target(topic='notifications', exchange='openstack') with the threading executor. Prints to stdout one
JSON line {"ready": true} once its queues are bound, then one JSON line per notification received:
{"priority", "event_type", "publisher_id", "payload", "message_id", "timestamp"}. Stops on SIGTERM/SIGINT, on
stdin closing, or after --timeout seconds. Without --no-pool it consumes from its own pool queue (default
"volmig-test"); with --no-pool it consumes the notifications.<priority> queues that publishers declare.
Must run under Debian's /usr/bin/python3 (python3-oslo.messaging is importable only there).
"""
import argparse
import json
import signal
import sys
import threading

from oslo_config import cfg
import oslo_messaging

PRIORITIES = ('audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample')


class Printer:
    def __init__(self):
        self.lock = threading.Lock()

    def line(self, obj):
        with self.lock:
            sys.stdout.write(json.dumps(obj) + '\n')
            sys.stdout.flush()


def make_endpoint(printer):
    class Endpoint:
        pass

    def handler(priority):
        def handle(self, ctxt, publisher_id, event_type, payload, metadata):
            printer.line({'priority': priority.upper(), 'event_type': event_type, 'publisher_id': publisher_id,
                          'payload': payload, 'message_id': metadata.get('message_id'),
                          'timestamp': metadata.get('timestamp')})
            return oslo_messaging.NotificationResult.HANDLED
        return handle

    for priority in PRIORITIES:
        setattr(Endpoint, priority, handler(priority))
    return Endpoint()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('transport_url')
    parser.add_argument('--pool', default='volmig-test')
    parser.add_argument('--no-pool', action='store_true')
    parser.add_argument('--timeout', type=float, default=120.0)
    args = parser.parse_args()

    conf = cfg.ConfigOpts()
    conf([], project='volmig-listener')
    transport = oslo_messaging.get_notification_transport(conf, url=args.transport_url)
    targets = [oslo_messaging.Target(topic='notifications', exchange='openstack')]
    printer = Printer()
    listener = oslo_messaging.get_notification_listener(
        transport, targets, [make_endpoint(printer)], executor='threading',
        pool=None if args.no_pool else args.pool)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def watch_stdin():
        # The test keeps our stdin open; if it dies without killing us, its end closes and we stop.
        sys.stdin.read()
        stop.set()
    threading.Thread(target=watch_stdin, daemon=True).start()

    # One worker thread: the endpoint sees each queue's notifications in the order RabbitMQ delivers them (oslo's
    # default pool of 64 threads may hand them over out of order).
    listener.start(override_pool_size=1)
    printer.line({'ready': True, 'pool': None if args.no_pool else args.pool})
    stop.wait(args.timeout)
    listener.stop()
    listener.wait()
    transport.cleanup()


if __name__ == '__main__':
    main()
