#!/bin/bash
# Entry point of the allocator benchmark: the work (build, runs, table, RESULTS.md)
# lives in allocators.py so option parsing and statistics sit in one place.
# Usage: bench/allocators.sh [-r N] [--quick] [--only WORKLOAD] [--lib PATH] [-n WORKLOAD=N] [--help]
set -euo pipefail
exec /usr/bin/python3 "$(dirname "$(readlink -f "$0")")/allocators.py" "$@"
