#!/usr/bin/env bash
# k8s-secrets.sh OUTPUT_DIR: print the Kubernetes Secrets and the ConfigMap that the
# manifests mount, from the files that make-keys.sh wrote under OUTPUT_DIR. Apply with
#
#   deploy/scripts/k8s-secrets.sh OUTPUT_DIR | kubectl apply -n NAMESPACE -f -
#
# One Secret `<service>-keys` per service (its folder under OUTPUT_DIR/services) and the
# ConfigMap `stadskamer-public-keys` (OUTPUT_DIR/public). Nothing is sent anywhere: kubectl
# only formats (--dry-run=client).
set -euo pipefail

out="${1:?usage: k8s-secrets.sh OUTPUT_DIR}"
labels="app.kubernetes.io/part-of=stadskamer"

for dir in "$out"/services/*/; do
  name="$(basename "$dir")"
  kubectl create secret generic "$name-keys" --from-file="$dir" \
    --dry-run=client -o yaml | kubectl label --local -f - "$labels" -o yaml
  echo "---"
done
kubectl create configmap stadskamer-public-keys --from-file="$out/public" \
  --dry-run=client -o yaml | kubectl label --local -f - "$labels" -o yaml
