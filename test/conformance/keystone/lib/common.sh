# Keystone helpers (sourced). Keystone state lives in $BASE/keystone, next to the Cinder rig's state,
# and its uWSGI master pid in the same pids/ dir so that ../real-cinder/down.sh stops it too.
. "$(dirname "${BASH_SOURCE[0]}")/../../real-cinder/lib/common.sh"
KS=$BASE/keystone
KS_URL=http://127.0.0.1:5000/v3
# ks_token USER PASSWORD PROJECT -> "TOKEN PROJECT_ID" (password method, project-scoped, domain Default)
ks_token() {
  local h b
  h=$(mktemp); b=$(mktemp)
  curl -s -D $h -o $b -H 'Content-Type: application/json' $KS_URL/auth/tokens \
    -d "$(jq -nc --arg u "$1" --arg pw "$2" --arg p "$3" '{auth:{identity:{methods:["password"],password:{user:{name:$u,domain:{name:"Default"},password:$pw}}},scope:{project:{name:$p,domain:{name:"Default"}}}}}')"
  echo "$(awk 'tolower($1)=="x-subject-token:"{print $2}' $h | tr -d '\r') $(jq -r '.token.project.id // empty' $b)"
  rm -f $h $b
}
