#!/bin/sh
set -e
PLATSA=$1
OUT=$2
mkdir -p "$OUT"
"$PLATSA" --version
