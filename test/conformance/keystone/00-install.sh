#!/bin/bash
# Keystone 2:22.0.2 (Debian bookworm) + keystonemiddleware + the openstack/cinder CLIs, without any
# service start or DB/endpoint setup by the maintainer scripts. Same installer as the Cinder stack
# (policy-rc.d guard, debconf preseed), see ../real-cinder/00-install.sh.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VOLMIG_INSTALL_KEYSTONE=1 exec "$HERE/../real-cinder/00-install.sh"
