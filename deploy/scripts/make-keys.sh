#!/usr/bin/env bash
# make-keys.sh OUTPUT_DIR: the key material of one Stadskamer deployment, laid out per service.
#
# The first run creates every secret (`stadskamer keys init`); a later run keeps them, renews
# the service tokens and writes the derived files again (domain keys, JWKS), so it is also the
# renewal job. Every file is replaced atomically (write, then rename), so a service that
# re-reads its token file never sees half a token. Layout of OUTPUT_DIR:
#
#   master/keys/      every secret, including the token signing key: keep it offline (a vault)
#   public/           jwks.json and the public PEM keys: a ConfigMap, mounted by every service
#   services/<name>/  what service <name> mounts at /etc/stadskamer/keys: a Secret
#
# Each service gets only its own: a token (role `service`) for exactly its domains, with which
# it calls its peers and the audit service; pseudonyms the secrets y, PS and ES; every other
# service the exported keys of its own domains, and consent and audit their signing keys. The
# pseudonym service and the gateway act for no domain (the gateway forwards its callers'
# tokens), so their tokens name none.
#
# Environment: STADSKAMER_SERVICE_TOKEN_TTL (default 30d; renew well before it runs out),
# STADSKAMER_KEY_VERSION (v1; the version of the domain keys, see docs/operations.md),
# STADSKAMER_EXTRA_TOKEN_KEYS (space-separated public PEM files that the JWKS also trusts,
# during a rotation of the token signing key). Needs `stadskamer` and its `python3` on PATH.
set -euo pipefail
umask 077

out="${1:?usage: make-keys.sh OUTPUT_DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ttl="${STADSKAMER_SERVICE_TOKEN_TTL:-30d}"
version="${STADSKAMER_KEY_VERSION:-v1}"
master="$out/master"
keys="$master/keys"
# Export from OUTPUT_DIR's secrets only, never from secrets mounted for a running service.
unset STADSKAMER_MASTER_SECRET_FILE STADSKAMER_REKEY_SECRET_FILE

# Every service, and the domains whose keys it holds and for which its token speaks.
services=(pseudonyms consent contacts complaints surveys audit gateway)
declare -A domains=(
  [pseudonyms]=""
  [gateway]=""
  [consent]="consent"
  [contacts]="kcc burgerzaken sociale-zaken belastingen"
  [complaints]="klachten"
  [surveys]="onderzoek"
  [audit]="audit"
)

# place SOURCE TARGET: copy a file into place atomically, readable by its owner only.
place() {
  cp "$1" "$2.tmp"
  chmod 0600 "$2.tmp"
  mv -f "$2.tmp" "$2"
}

# service_files NAME: the domain keys, secrets and token of one service.
service_files() {
  local name="$1" dir="$out/services/$1" domain
  local -a token_domains=()
  for domain in ${domains[$name]}; do
    stadskamer keys export --data-dir "$master" --domain "$domain" \
      --key-version "$version" --output "$dir/$domain.key.json.tmp" >/dev/null
    mv -f "$dir/$domain.key.json.tmp" "$dir/$domain.key.json"
    token_domains+=(--domain "$domain")
  done
  case "$name" in
    pseudonyms)
      for secret in master pseudonymisation rekey; do
        place "$keys/$secret.secret" "$dir/$secret.secret"
      done
      place "$keys/tag-signing.pem" "$dir/tag-signing.pem"
      ;;
    consent) place "$keys/consent-signing.pem" "$dir/consent-signing.pem" ;;
    audit) place "$keys/audit-signing.pem" "$dir/audit-signing.pem" ;;
  esac
  stadskamer token issue --data-dir "$master" --sub "$name-service" "${token_domains[@]}" \
    --role service --ttl "$ttl" >"$dir/service.token.tmp"
  mv -f "$dir/service.token.tmp" "$dir/service.token"
}

stadskamer keys init --data-dir "$master" >/dev/null
mkdir -p "$out/public"
for name in "${services[@]}"; do
  mkdir -p "$out/services/$name"
done

# In parallel: each `stadskamer` call takes a moment to start.
pids=()
for name in "${services[@]}"; do
  service_files "$name" &
  pids+=("$!")
done
failed=0
for pid in "${pids[@]}"; do
  wait "$pid" || failed=1
done
if [ "$failed" -ne 0 ]; then
  echo "make-keys.sh: writing the service files failed" >&2
  exit 1
fi

# Public: the keys that verify tokens (as JWKS), consent receipts and grants, and tree heads.
# shellcheck disable=SC2086  # STADSKAMER_EXTRA_TOKEN_KEYS is a list of file names
python3 "$here/jwks.py" "$keys/token-signing.pub.pem" ${STADSKAMER_EXTRA_TOKEN_KEYS:-} \
  >"$out/public/jwks.json.tmp"
mv -f "$out/public/jwks.json.tmp" "$out/public/jwks.json"
for public in token-signing consent-signing audit-signing tag-signing; do
  place "$keys/$public.pub.pem" "$out/public/$public.pub.pem"
done
chmod 0644 "$out/public"/*
chmod 0755 "$out/public"

echo "wrote the key material of every service under $out/services and $out/public"
echo "keep $master (every secret, and the token signing key) offline"
