#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# make docs: each command's Markdown page from its option table (platsa --help-md CMD):
# analyses/CMD/README.md when the command has a folder there, else docs/commands/CMD.md.
# With --check, writes nothing and fails (listing them) when a committed page is stale.
# Usage: docs/generate.sh PLATSA [--check]
set -eu
PLATSA=$1
CHECK=${2:-}
stale=""
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for cmd in $("$PLATSA" --commands); do
  if [ -d "analyses/$cmd" ]; then page="analyses/$cmd/README.md"; else page="docs/commands/$cmd.md"; fi
  "$PLATSA" --help-md "$cmd" > "$tmp"
  if cmp -s "$tmp" "$page"; then continue; fi
  if [ "$CHECK" = "--check" ]; then
    stale="$stale $page"
  else
    cp "$tmp" "$page.tmp" && mv "$page.tmp" "$page"
    echo "  DOC $page"
  fi
done
if [ -n "$stale" ]; then
  echo "stale command pages (regenerate with make docs):$stale" >&2
  exit 1
fi
