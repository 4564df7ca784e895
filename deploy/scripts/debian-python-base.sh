#!/usr/bin/env bash
# debian-python-base.sh [IMAGE]: a local stand-in for python:3.11-slim, made from Debian
# bookworm's own packages (debootstrap), for building deploy/Dockerfile with buildah where no
# container registry can be reached (no daemon is needed either):
#
#   deploy/scripts/debian-python-base.sh                       # localhost/stadskamer-python-base:3.11
#   buildah bud --isolation chroot --storage-driver vfs \
#     --build-arg PYTHON_IMAGE=localhost/stadskamer-python-base:3.11 -f deploy/Dockerfile .
#
# It has what the Dockerfile uses of python:3.11-slim: Python 3.11 (Debian's), `python` and
# `pip` on PATH and installing into the system site-packages, apt-get, groupadd and useradd.
# Certificates in /usr/local/share/ca-certificates (e.g. an egress proxy's CA) are trusted
# inside, so that apt-get and pip in the build reach their registries through such a proxy:
# build production images from the registry's python:3.11-slim instead.
#
# Needs root, debootstrap and buildah. Environment: DEBIAN_MIRROR (default deb.debian.org),
# STORAGE_DRIVER (buildah's, default vfs).
set -euo pipefail

image="${1:-localhost/stadskamer-python-base:3.11}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
storage=(--storage-driver "${STORAGE_DRIVER:-vfs}")
work="$(mktemp -d)"
container=""
cleanup() {
  if [ -n "$container" ]; then buildah "${storage[@]}" rm "$container" >/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

root="$work/rootfs"
debootstrap --variant=minbase --include=python3,python3-pip,python3-venv,ca-certificates \
  bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
# python:3.11-slim lets pip install into the system Python; Debian marks it externally managed.
rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED
ln -sf python3 "$root/usr/bin/python"
ln -sf pip3 "$root/usr/bin/pip"
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null
fi
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb

container="$(buildah "${storage[@]}" from scratch)"
mountpoint="$(buildah "${storage[@]}" mount "$container")"
cp -a "$root/." "$mountpoint/"
buildah "${storage[@]}" umount "$container" >/dev/null
buildah "${storage[@]}" config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env LANG=C.UTF-8 --cmd python3 "$container"
buildah "${storage[@]}" commit --quiet "$container" "$image" >/dev/null
echo "built $image"
