#!/bin/bash
# Runs stacks with ATOLL_UNWIND_CHECK=1 and ATOLL_STATS=1 and checks the verdict: every stack
# compared with libunwind's (at least MIN of them), none different, and both of the walker's
# ways used (stacks found remembered, and walked).
# Usage: stacks.sh PROGRAM LIBRARY LIBRARY_O0 MIN
set -u
prog=$1 lib=$2 lib_o0=$3 min=$4
err=$(mktemp)
trap 'rm -f "$err"' EXIT
if ! ATOLL_UNWIND_CHECK=1 ATOLL_STATS=1 "$prog" "$lib" "$lib_o0" 2>"$err"; then
    cat "$err" >&2
    echo "stacks.sh: $prog failed" >&2
    exit 1
fi
cat "$err" >&2
verdict=$(grep -E '^atoll: unwind check: [0-9]+ stacks compared' "$err")
compared=$(sed -E 's/.*check: ([0-9]+) stacks.*/\1/' <<<"$verdict")
differ=$(sed -E "s/.*libunwind's, ([0-9]+) differ.*/\1/" <<<"$verdict")
counts=$(grep -E 'call stacks: [0-9]+ remembered' "$err")
remembered=$(sed -E 's/.*stacks: ([0-9]+) remembered.*/\1/' <<<"$counts")
walked=$(sed -E 's/.*remembered, ([0-9]+) walked.*/\1/' <<<"$counts")
if [ -z "$verdict" ] || [ -z "$counts" ]; then
    echo "stacks.sh: no unwind check verdict or call stack counts on stderr" >&2
    exit 1
fi
if [ "$differ" -ne 0 ] || [ "$compared" -lt "$min" ] || [ "$remembered" -eq 0 ] || [ "$walked" -eq 0 ]; then
    echo "stacks.sh: $compared stacks compared (at least $min expected), $differ differ; $remembered remembered, $walked walked" >&2
    exit 1
fi
echo "stacks.sh: $compared stacks, all as libunwind records them ($remembered remembered, $walked walked)"
