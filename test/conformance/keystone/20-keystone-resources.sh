#!/bin/bash
# Catalog and identities for the Keystone target, then $KS/clouds.yaml:
#   * services block-storage (name cinder) + volumev3 (name cinderv3), each with public/internal/admin
#     endpoints http://127.0.0.1:8776/v3/%(project_id)s in RegionOne; the same in RegionB at 127.0.0.1:18776
#     (served only by 07-keystone-config.test.ts) and in RegionC at the closed port 9
#   * project service + user cinder (admin + service) for cinder-api's keystonemiddleware
#   * project demo + user demo with role member (the non-admin user of the scenarios)
#   * application credential admin-appcred of admin (id/secret in $KS/appcred-admin.json, mode 600)
# Created with python3-keystoneclient in one process (lib/ks_resources.py): each `openstack` CLI start
# costs ~3.5 s on a 2-core box, ~25 calls took 105 s.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"
T0=$(now_s)
. $KS/secrets.env
KS_DIR=$KS ADMIN_PW="$ADMIN_PW" CINDER_PW="$CINDER_PW" DEMO_PW="$DEMO_PW" $PY "$HERE/lib/ks_resources.py" > $KS/log/resources.json \
  || { diagnose keystone-uwsgi "creating the catalog/users/app credential failed" $KS/log/keystone.log; exit 1; }
jq -c '{projects, regions, application_credential: .application_credential.name}' $KS/log/resources.json
AC_ID=$(jq -r .id $KS/appcred-admin.json); AC_SECRET=$(jq -r .secret $KS/appcred-admin.json)
# The clouds the scenarios use; README "Keystone" shows the same entries with the secrets replaced.
# has_image: false is for the openstack CLI (OSC 6.0 `volume create` builds the image client even without
# --image and fails when the catalog has no glance); volmig ignores keys it does not use, as openstacksdk does.
cat > $KS/clouds.yaml <<Y
clouds:
  ks-admin:
    auth:
      auth_url: http://127.0.0.1:5000/v3
      username: admin
      password: "$ADMIN_PW"
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
    volume_api_version: 3
    has_image: false
  ks-admin-appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: http://127.0.0.1:5000/v3
      application_credential_id: "$AC_ID"
      application_credential_secret: "$AC_SECRET"
    region_name: RegionOne
    interface: public
    identity_api_version: 3
    volume_api_version: 3
    has_image: false
  ks-demo:
    auth:
      auth_url: http://127.0.0.1:5000/v3
      username: demo
      password: "$DEMO_PW"
      project_name: demo
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
    volume_api_version: 3
    has_image: false
Y
chmod 600 $KS/clouds.yaml
echo "wrote $KS/clouds.yaml (clouds ks-admin, ks-admin-appcred, ks-demo); phase took $(since $T0)s"
