# Sourced by every integration script: checks the environment meson passes, makes the scratch
# dir (../scratch.sh), runs a command under atoll, and checks atoll's exit statistics and dumps
# so a test proves that atoll, not glibc, served the program.

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
    [[ $ATOLL_MODE == profile ]] && assert_dumps "$min"
    echo "atoll served $n process(es); small mallocs: $(paste -sd' ' <<<"$counts")"
}

# assert_dumps MIN: profile mode's exit collections, found without a word on the program's
# stderr: at least MIN processes collected at exit into $scratch/dumps, each one's dump is
# there, and each one had made allocations that atoll served (last_seq counts them).
assert_dumps() {
    local min=$1 jsonl=$scratch/dumps/collections.jsonl exits dump
    [[ -f $jsonl ]] || fail "no collections.jsonl in $scratch/dumps: atoll did not collect at exit"
    exits=$(grep -c '"trigger":"exit"' "$jsonl" || true)
    ((exits >= min)) || fail "expected the exit collections of at least $min process(es), got $exits" "$jsonl"
    grep -q '"last_seq":0[,}]' "$jsonl" && fail "a process collected with no allocation served" "$jsonl"
    for dump in $(sed -nE 's/.*"dump":"([^"]*)".*/\1/p' "$jsonl"); do
        [[ -s $dump ]] || fail "collections.jsonl names a dump that is not there: $dump" "$jsonl"
    done
    echo "atoll collected $exits process(es) at exit, the least busy after" \
        "$(sed -nE 's/.*"last_seq":([0-9]+).*/\1/p' "$jsonl" | sort -n | head -n 1) allocations"
}
