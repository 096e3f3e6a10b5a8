# Sourced by the shell tests (integration/harness.sh, commands/harness.sh): a scratch dir that
# goes on exit (after on_exit, if the script defines it, stops what it started), fail, and a
# free loopback port for servers and a client for Redis on it.
export LC_ALL=C
scratch=$(mktemp -d)
# A script that starts a server defines on_exit to stop it; it runs before the scratch dir goes.
trap 'if declare -F on_exit >/dev/null; then on_exit; fi; rm -rf "$scratch"' EXIT
# Exit through the EXIT trap on a signal too (meson's timeout sends TERM), never straight out.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

# fail MESSAGE [FILE...]: say why, show the files, and stop the test.
fail() {
    echo "FAIL: $1" >&2
    shift
    local f
    for f in "$@"; do
        echo "----- $f" >&2
        cat "$f" >&2
    done
    exit 1
}

port_is_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port BASE: sets port to the first free loopback port among 50 from BASE + pid % 1000.
free_port() {
    local candidate first=$(($1 + $$ % 1000))
    port=''
    for ((candidate = first; candidate < first + 50; candidate++)); do
        if port_is_free "$candidate"; then
            port=$candidate
            return 0
        fi
    done
    fail "no free loopback port near $first"
}

cli() {
    redis-cli -h 127.0.0.1 -p "$port" "$@"
}
