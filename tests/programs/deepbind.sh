#!/bin/bash
# Runs deepbind and checks its stderr: exactly EXPECTED lines, each atoll's one warning about
# RTLD_DEEPBIND (EXPECTED is 1 with atoll preloaded, 0 without).
# Usage: deepbind.sh PROGRAM LIBRARY EXPECTED
set -u
prog=$1 lib=$2 expected=$3
err=$(mktemp)
trap 'rm -f "$err"' EXIT
"$prog" "$lib" 2>"$err"
status=$?
cat "$err" >&2
if [ "$status" -ne 0 ]; then
    echo "deepbind.sh: $prog exited with status $status" >&2
    exit 1
fi
# Profile mode's exit summary is not a warning: leave it out of the count.
lines=$(grep -cv '^atoll: [0-9]* blocks ([0-9]* bytes) unreachable at exit' "$err")
warnings=$(grep -c 'ignoring RTLD_DEEPBIND' "$err")
if [ "$lines" -ne "$expected" ] || [ "$warnings" -ne "$expected" ]; then
    echo "deepbind.sh: stderr has $lines lines, $warnings about RTLD_DEEPBIND; expected $expected and $expected" >&2
    exit 1
fi
echo "deepbind.sh: exit 0, $warnings warning line(s) as expected"
