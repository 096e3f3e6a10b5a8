#!/bin/bash
# A preloaded library is a guest: nothing on the program's stdout or stderr unless it found
# something of the process's own making (or ATOLL_VERBOSE=1 asks); ATOLL_LOG=PATH sends every line to PATH.<pid>, one file
# per process, mode 0600, never through a symbolic link.
# Usage: guest.sh LIBATOLL GUEST_PROGRAM
set -euo pipefail
lib=$(realpath "$1") prog=$(realpath "$2")
source "$(dirname "$0")/../scratch.sh"
unset ATOLL_LOG ATOLL_VERBOSE ATOLL_STATS ATOLL_MODE ATOLL_EXPECT ATOLL_ON_ERROR
export ATOLL_OUTPUT=$scratch/dumps
python=/usr/bin/python3.11
cycle_line='^atoll: 2 blocks \(64 bytes\) unreachable at exit, 1 isolated cycles, 0 refcount leaks; dump: .*; analyze: atoll analyze '

# quiet MODE COMMAND...: the command under atoll writes nothing on stderr.
quiet() {
    local mode=$1
    shift
    ATOLL_MODE=$mode LD_PRELOAD=$lib "$@" >"$scratch/out" 2>"$scratch/err" || fail "$* exited with $?" "$scratch/err"
    [[ ! -s $scratch/err ]] || fail "atoll wrote on the stderr of $* ($mode mode)" "$scratch/err"
}

for mode in profile alloc; do
    quiet "$mode" /bin/true
    [[ ! -s $scratch/out ]] || fail "/bin/true printed something" "$scratch/out"
    quiet "$mode" "$prog" clean
    if [[ -x $python ]]; then
        quiet "$mode" env PYTHONMALLOC=malloc "$python" -c pass
        # select's module state is two pointers, the second to a type: once taken for an
        # object with a count of millions, a refcount leak on every program importing it
        quiet "$mode" "$python" -c 'import json, select, subprocess; print(json.dumps([1]))'
        [[ $(cat "$scratch/out") == '[1]' ]] || fail "python's output changed" "$scratch/out"
    else
        echo "SKIP the python checks: $python is absent"
    fi
done
quiet alloc "$prog" leak

# In a Python program, the garbage its collector frees at finalization is no finding for the
# line (a cycle of lists); a C block lost is.
if [[ -x $python ]]; then
    quiet profile env PYTHONMALLOC=malloc "$python" -c 'import gc; gc.disable(); a = []; a.append(a); del a'
    # 100 blocks of 40 bytes dropped (the last one a stale word may still hold)
    PYTHONMALLOC=malloc LD_PRELOAD=$lib "$python" -c 'import ctypes
m = ctypes.CDLL(None).malloc
for i in range(100): m(40)' 2>"$scratch/err"
    grep -Eq '^atoll: (99 blocks \(3960|100 blocks \(4000) bytes\) unreachable at exit, 0 isolated cycles, 0 refcount leaks; dump: ' "$scratch/err" &&
        [[ $(wc -l <"$scratch/err") -eq 1 ]] || fail "expected the line of a C block a Python program lost" "$scratch/err"
fi

# A leak found: its one line stays.
LD_PRELOAD=$lib "$prog" leak >"$scratch/out" 2>"$scratch/err"
[[ $(wc -l <"$scratch/err") -eq 1 ]] && grep -Eq "$cycle_line" "$scratch/err" ||
    fail "expected the one exit line of a leaking program" "$scratch/err"
# ATOLL_EXIT_LINE=0 (what atoll run sets) silences it; the dump is still written.
rm -rf "$ATOLL_OUTPUT"
ATOLL_EXIT_LINE=0 LD_PRELOAD=$lib "$prog" leak >"$scratch/out" 2>"$scratch/err"
[[ ! -s $scratch/err ]] || fail "ATOLL_EXIT_LINE=0: a line on stderr" "$scratch/err"
compgen -G "$ATOLL_OUTPUT/guest.*.1.atoll" >/dev/null || fail "ATOLL_EXIT_LINE=0: no dump written"

# A forked child reports what it lost itself, not what it inherited: the parent's cycle is
# the parent's to report, so only the parent's line appears.
LD_PRELOAD=$lib "$prog" inherit >"$scratch/out" 2>"$scratch/err"
read -r _ parent _ child < <(grep child "$scratch/out")
[[ $(wc -l <"$scratch/err") -eq 1 ]] && grep -Eq "$cycle_line" "$scratch/err" && grep -q "/guest.$parent.1.atoll" "$scratch/err" ||
    fail "expected the parent's line alone" "$scratch/err"

# ATOLL_VERBOSE=1: the line even when nothing was found.
ATOLL_VERBOSE=1 LD_PRELOAD=$lib /bin/true 2>"$scratch/err"
grep -Eq '^atoll: 0 blocks \(0 bytes\) unreachable at exit, 0 isolated cycles, 0 refcount leaks; dump: ' \
    "$scratch/err" && [[ $(wc -l <"$scratch/err") -eq 1 ]] || fail "ATOLL_VERBOSE=1 gave no exit line" "$scratch/err"

# ATOLL_LOG: every line in PATH.<pid>, the child's in its own file, none on stderr.
# A relative path is taken from the directory the program started in.
mkdir "$scratch/logs"
cd "$scratch"
ATOLL_LOG=logs/run ATOLL_STATS=1 LD_PRELOAD=$lib "$prog" fork >"$scratch/out" 2>"$scratch/err" ||
    fail "guest fork failed under ATOLL_LOG" "$scratch/err"
[[ ! -s $scratch/err ]] || fail "with ATOLL_LOG, atoll wrote on stderr" "$scratch/err"
read -r _ parent _ child <"$scratch/out"
# The child inherited its parent's dropped cycle and dropped its own.
child_line='^atoll: 4 blocks \(128 bytes\) unreachable at exit, 2 isolated cycles, 0 refcount leaks; dump: '
for pid in "$parent" "$child"; do
    log=$scratch/logs/run.$pid
    [[ -f $log ]] || fail "no log file $log" "$scratch/out"
    [[ $(stat -c %a "$log") == 600 ]] || fail "$log has mode $(stat -c %a "$log"), not 600"
    line=$cycle_line
    [[ $pid == "$child" ]] && line=$child_line
    grep -Eq "$line" "$log" || fail "$log lacks the exit line" "$log"
    grep -q "^atoll: allocator statistics of pid $pid " "$log" || fail "$log lacks pid $pid's statistics" "$log"
done
[[ $(ls "$scratch/logs" | wc -l) -eq 2 ]] || fail "expected two log files" <(ls -l "$scratch/logs")

# A symbolic link at the log's path is refused: the line goes to stderr, the link's target
# is not created.
sh -c 'ln -s "$1/target" "$1/logs/link.$$" && exec env ATOLL_LOG="$1/logs/link" LD_PRELOAD="$2" "$3" leak' \
    sh "$scratch" "$lib" "$prog" >"$scratch/out" 2>"$scratch/err"
read -r _ pid <"$scratch/out"
[[ ! -e $scratch/target ]] || fail "atoll wrote through a symbolic link"
grep -qx "atoll: cannot open the log $scratch/logs/link.$pid: is a symbolic link; logging to stderr" \
    "$scratch/err" && grep -Eq "$cycle_line" "$scratch/err" || fail "expected the refusal and the exit line on stderr" "$scratch/err"
echo "guest.sh: quiet in both modes, one line for a leak, ATOLL_VERBOSE and ATOLL_LOG as documented"
