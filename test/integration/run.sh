#!/bin/bash
# Integration stage: starts the services the integration tests need (RabbitMQ, via rabbit/rabbit-up.sh: installs it
# from apt when root and missing), runs `vitest -c vitest.integration.config.ts`, and stops what it started.
# Exits with vitest's status: non-zero on any failure. A test whose service is missing says loudly that it skipped
# and why; under CI=true that skip is a failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
CREATED_STATE=0
if [ -z "${VOLMIG_RABBIT_DIR:-}" ]; then
  VOLMIG_RABBIT_DIR=$(mktemp -d /tmp/volmig-rabbit.XXXXXX); CREATED_STATE=1
fi
export VOLMIG_RABBIT_DIR
rc=1
cleanup() {
  bash test/integration/rabbit/rabbit-down.sh
  # Broker data and logs are kept when something failed, for the post-mortem.
  if [ $CREATED_STATE = 1 ] && [ $rc = 0 ]; then rm -rf "$VOLMIG_RABBIT_DIR"; else echo "integration: RabbitMQ state and logs kept in $VOLMIG_RABBIT_DIR" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if bash test/integration/rabbit/rabbit-up.sh; then
  VOLMIG_TEST_TRANSPORT_URL=$(cat "$VOLMIG_RABBIT_DIR/transport_url")
  export VOLMIG_TEST_TRANSPORT_URL
else
  echo "integration: RabbitMQ could not be brought up (rabbit-up.sh exit $?); the RabbitMQ tests will report why they did not run" >&2
  unset VOLMIG_TEST_TRANSPORT_URL
fi
npx vitest run -c vitest.integration.config.ts
rc=$?
exit $rc
