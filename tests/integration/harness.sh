# Sourced by every integration script: checks the environment meson passes, makes the scratch
# dir (../scratch.sh), runs a command under atoll, and checks atoll's exit statistics so a test
# proves that atoll, not glibc, served the program.

: "${ATOLL_LIB:?set by meson: path of libatoll.so}"
: "${ATOLL_MODE:?set by meson: alloc or profile}"
[[ -f $ATOLL_LIB ]] || { echo "no preload library at $ATOLL_LIB" >&2; exit 1; }

# The baseline runs must not be preloaded, and the runs under atoll must see only the settings
# a test gives them, whatever the caller's environment holds.
unset LD_PRELOAD
for setting in $(compgen -e -X '!ATOLL_*'); do
    [[ $setting == ATOLL_LIB || $setting == ATOLL_MODE ]] || unset "$setting"
done
workloads=$(cd "$(dirname "${BASH_SOURCE[0]}")/../workloads" && pwd)
source "$(dirname "${BASH_SOURCE[0]}")/../scratch.sh"

# In profile mode every process collects at exit: its dumps go to the scratch dir.
with_atoll() {
    env LD_PRELOAD="$ATOLL_LIB" ATOLL_MODE="$ATOLL_MODE" ATOLL_STATS=1 \
        ATOLL_OUTPUT="$scratch/dumps" "$@"
}

# The lines ATOLL_STATS=1 adds at exit (a header and indented details); anything else atoll
# prints (a bad free, the dlopen warning) is not matched, so it stays in the compared output
# and fails the test.
stats_re='^atoll: allocator statistics of pid [0-9]+ |^atoll:   |^atoll: [0-9]+ blocks \([0-9]+ bytes\) unreachable at exit, '

without_stats() {
    grep -Ev "$stats_re" "$1" || true
}

# same_output BASELINE ATOLL: the two files must be byte-identical.
same_output() {
    diff -u "$1" "$2" >&2 || fail "output under atoll differs from the baseline ($1 vs $2)"
}

# assert_served STDERR_FILE MIN: at least MIN processes printed atoll's statistics, each one
# with a nonzero number of small-block mallocs, and atoll printed nothing else.
assert_served() {
    local file=$1 min=$2 counts n
    counts=$(sed -nE 's/^atoll:   small blocks: ([0-9]+) mallocs.*/\1/p' "$file")
    n=$(grep -c . <<<"$counts" || true)
    ((n >= min)) || fail "expected statistics of at least $min process(es) from atoll, got $n" "$file"
    grep -qx '0' <<<"$counts" && fail "a process under atoll made no small mallocs" "$file"
    grep -E '^atoll: ' "$file" | grep -Ev "$stats_re" >&2 && fail "atoll reported a problem" "$file"
    if [[ $ATOLL_MODE == profile ]]; then
        local dumps
        dumps=$(find "$scratch/dumps" -name '*.atoll' 2>/dev/null | grep -c . || true)
        ((dumps >= min)) || fail "expected an exit dump from each of $min process(es), got $dumps" "$file"
    fi
    echo "atoll served $n process(es); small mallocs: $(paste -sd' ' <<<"$counts")"
}
