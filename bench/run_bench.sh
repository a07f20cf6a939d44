#!/bin/sh
# Benchmarks: see BENCHMARKS.md. Each section appends to the table.
set -e
echo "no benchmarks yet"
