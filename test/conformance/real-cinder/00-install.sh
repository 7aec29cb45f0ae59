#!/bin/bash
# Phase 0: Debian bookworm packages for Ceph 16, RabbitMQ 3.10, MariaDB 10.11 and Cinder 21.3 (no PyPI).
# With VOLMIG_INSTALL_KEYSTONE=1 the Keystone 22 packages of ../keystone/00-install.sh come in the
# same apt transaction (one dpkg run instead of two saves ~20 s in CI).
# Skips apt entirely when every package is already installed (2-3 s instead of an apt run).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export DEBIAN_FRONTEND=noninteractive
T0=$(date +%s.%N)
PKGS="ceph-mon ceph-osd ceph-mgr ceph-common python3-rbd python3-rados qemu-utils lvm2
      cinder-api cinder-scheduler cinder-volume python3-cinderclient rabbitmq-server
      mariadb-server mariadb-client python3-pymysql
      curl jq sqlite3 uuid-runtime procps"
if [ "${VOLMIG_INSTALL_KEYSTONE:-0}" = 1 ]; then
  PKGS="$PKGS $(cat "$HERE/../keystone/packages.txt")"
fi
missing=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' $PKGS 2>/dev/null | awk '$2!="ii"{print $1}' || true)
# dpkg-query prints nothing for packages it has never heard of: count what it knows
known=$(dpkg-query -W -f='${Package}\n' $PKGS 2>/dev/null | wc -l || true)
if [ -z "$missing" ] && [ "$known" -eq "$(echo $PKGS | wc -w)" ]; then
  echo "all $(echo $PKGS | wc -w) packages already installed"
  exit 0
fi
# No systemd here, but the packages' sysv init scripts would start rabbitmq/mariadb/cinder/keystone on
# 0.0.0.0 with default configs: block every service start during the install with policy-rc.d
# (keep an existing one, e.g. Docker's, and remove only one we created).
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=0
if [ ! -e $POLICY ]; then
  printf '#!/bin/sh\nexit 101\n' > $POLICY; chmod +x $POLICY; CREATED_POLICY=1
fi
trap '[ $CREATED_POLICY = 1 ] && rm -f $POLICY' EXIT
# debconf: no DB / RabbitMQ / keystone_authtoken / endpoint setup by the maintainer scripts
# (we configure everything ourselves under $VOLMIG_REALCINDER_DIR).
cat <<PRESEED | debconf-set-selections
cinder-common cinder/configure_db boolean false
cinder-common cinder/configure_rabbit boolean false
cinder-common cinder/configure_ksat boolean false
cinder-api cinder/configure_api-endpoint boolean false
keystone keystone/configure_db boolean false
keystone keystone/create-admin-tenant boolean false
keystone keystone/register-endpoint boolean false
keystone keystone/dbconfig-install boolean false
PRESEED
# try without `apt-get update` first (fast when the lists are fresh), update only on failure
if ! apt-get install -y --no-install-recommends $PKGS; then
  apt-get update
  apt-get install -y --no-install-recommends $PKGS
fi
dpkg -l cinder-api ceph-osd rabbitmq-server 2>/dev/null | awk '/^ii/{print $2, $3}'
echo "install phase took $(awk -v a=$T0 -v b=$(date +%s.%N) 'BEGIN{printf "%.1f", b-a}')s"
