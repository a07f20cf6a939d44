#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Proves the README's two commands on a bare Debian 12, from a plain clone with nothing beside it:
#   1. a minimal Debian 12 root: debootstrap --variant=minbase bookworm (made once in BASE, then copied)
#   2. git clone of this repository (its checked-out commit) into ROOT/root/platsa; nothing beside it
#   3. in a chroot (with /proc and /dev mounted), with a clean environment:
#        apt-get update && apt-get install -y make && make demo
#        make test
#      and prints the exit status, the time and the last line of each.
# Usage (as root, from anywhere): sh tests/fresh_machine.sh [ROOT [BASE]]
#   ROOT  the scratch root, deleted and remade (default /tmp/platsa-fresh); keep it outside any git tree
#   BASE  the cached debootstrap (default ROOT.base); made if missing (needs the debootstrap package
#         and deb.debian.org)
# Exit 0 when both commands succeed. The full logs are ROOT/root/command1.log and command2.log.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-/tmp/platsa-fresh}
base=${2:-$root.base}
[ "$(id -u)" -eq 0 ] || { echo "fresh_machine.sh: run as root (debootstrap, chroot, mount)" >&2; exit 2; }

if [ ! -x "$base/usr/bin/apt-get" ]; then
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  echo "== debootstrap --variant=minbase bookworm $base"
  rm -rf "$base"
  debootstrap --variant=minbase bookworm "$base" http://deb.debian.org/debian > "$base.log" 2>&1 ||
    { tail -n 5 "$base.log"; exit 2; }
fi

cleanup() {
  umount "$root/proc" 2>/dev/null || true
  umount "$root/dev" 2>/dev/null || true
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

cleanup
# Never delete through a mount (the host's /dev is bound into the old root).
if grep -q " $root/" /proc/mounts; then
  echo "fresh_machine.sh: something is still mounted under $root; unmount it first" >&2
  exit 2
fi
rm -rf --one-file-system "$root"
cp -a "$base" "$root"
git clone -q "$repo" "$root/root/platsa"
echo "== clone of $repo at $(git -C "$root/root/platsa" log -1 --format='%h (%s)' | cut -c1-80)"
echo "   beside it: $(ls -A "$root/root" | tr '\n' ' ')"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"

fail=0
# run N COMMAND: runs COMMAND in the chroot, in the clone, with a clean environment.
run() {
  n=$1
  shift
  echo "== command $n: $*"
  start=$(date +%s)
  rc=0
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive /bin/sh -c "cd /root/platsa && $*" \
    > "$root/root/command$n.log" 2>&1 || rc=$?
  end=$(date +%s)
  echo "   exit $rc after $((end - start)) s; last line: $(tail -n 1 "$root/root/command$n.log")"
  [ "$rc" -eq 0 ] || fail=1
}
run 1 'apt-get update && apt-get install -y make && make demo'
run 2 'make test'
exit $fail
