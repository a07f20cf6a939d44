#!/bin/sh
# Proves the README's two commands on a bare Debian 12: copies a debootstrap'd minbase root,
# clones this repository into it (with ../shared beside it), and runs, in a chroot,
#   apt-get update && apt-get install -y make && make demo
#   make test
# Usage (as root): tests/fresh_machine.sh BASE_ROOT [WORK_ROOT]
#   BASE_ROOT: made once with `debootstrap --variant=minbase bookworm BASE_ROOT`
set -eu
base=${1:?usage: tests/fresh_machine.sh BASE_ROOT [WORK_ROOT]}
root=${2:-/tmp/platsa-fresh-root}
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$repo/../shared" && pwd)

cleanup() {
  umount "$root/proc" 2>/dev/null || true
  umount "$root/dev" 2>/dev/null || true
}
trap cleanup EXIT

rm -rf "$root"
cp -a "$base" "$root"
mkdir -p "$root/work"
git clone -q "$repo" "$root/work/main"
cp -a "$shared" "$root/work/shared"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"

echo "== command 1: apt-get update && apt-get install -y make && make demo"
chroot "$root" /bin/sh -c 'cd /work/main && export DEBIAN_FRONTEND=noninteractive && apt-get update -qq && apt-get install -y -qq make >/dev/null && make demo'
echo "== command 2: make test"
chroot "$root" /bin/sh -c 'cd /work/main && make test' | tail -n 5
