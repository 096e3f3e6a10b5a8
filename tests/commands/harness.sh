# Sourced by the commands tests: ../scratch.sh (the scratch dir, fail, free ports), expect (the
# lines of a report), and a loopback client for leakserver.
: "${ATOLL_BIN:?set by meson: the atoll command}"
unset LD_PRELOAD ATOLL_THRESHOLD ATOLL_SIGNAL ATOLL_OUTPUT
source "$(dirname "${BASH_SOURCE[0]}")/../scratch.sh"

# expect FILE LINE...: each LINE is a whole line of FILE; expect_re: each extended regex matches
# a whole line.
expect() {
    expect_grep -F "$@"
}
expect_re() {
    expect_grep -E "$@"
}
expect_grep() {
    local how=$1 file=$2 line
    shift 2
    for line in "$@"; do
        grep -qx "$how" -- "$line" "$file" || fail "expected the line '$line'" "$file"
    done
}

# request PORT WORD: one request to leakserver, which answers "ok".
request() {
    local reply
    exec 3<>"/dev/tcp/127.0.0.1/$1"
    echo "$2" >&3
    read -r reply <&3
    exec 3>&-
    [[ $reply == ok ]] || fail "leakserver answered '$reply' to $2"
}

# wait_for_file FILE PID: until FILE is not empty (leakserver's port), while PID lives.
wait_for_file() {
    for ((i = 0; i < 200; i++)); do
        [[ -s $1 ]] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# child_of PID: the one child of PID (the program atoll run started).
child_of() {
    local kids
    kids=$(</proc/"$1"/task/"$1"/children)
    [[ $kids =~ ^[0-9]+\ ?$ ]] && echo "${kids% }"
}

# expect_tune_usage WANT ARGS...: atoll tune ARGS exits 2 with the one line WANT on stderr and
# nothing on stdout.
expect_tune_usage() {
    local want=$1
    shift
    local status=0
    "$ATOLL_BIN" tune "$@" >o 2>e || status=$?
    ((status == 2)) || fail "atoll tune $* exited with $status, not 2" e
    [[ ! -s o && $(<e) == "$want" ]] || fail "atoll tune $*: '$(<e)', not '$want'" o
}
