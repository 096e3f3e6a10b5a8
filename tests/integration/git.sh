#!/bin/bash
# git builds the same repository twice (commits of generated files, a branch, a merge, a tag,
# gc, fsck), once without atoll and once with every git process under it; with fixed names and
# dates the hashes are the same, so stdout and stderr must be identical.
set -euo pipefail
source "$(dirname "$0")/harness.sh"

export HOME=$scratch GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME='A U Thor' GIT_AUTHOR_EMAIL=author@example.com \
    GIT_COMMITTER_NAME='C O Mitter' GIT_COMMITTER_EMAIL=committer@example.com
unset XDG_CONFIG_HOME GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY

# git invocations in build_repo; each one prints atoll's statistics at exit.
git_runs=0
g() {
    git_runs=$((git_runs + 1))
    "${runner[@]}" git "$@"
}

# write_files COMMIT: rewrites a few files and adds new ones, so commits carry real diffs.
write_files() {
    local c=$1 f i
    for f in 1 2 3 4; do
        for ((i = 0; i < 200; i++)); do
            printf 'file %d line %d value %d\n' "$f" "$i" $(((i * 7919 + f * 104729 + (i % 13 == 0 ? c : 0)) % 100003))
        done >"src/f$f.txt"
    done
    for ((i = 0; i < 40 * c; i++)); do
        printf 'commit %d entry %d\n' "$c" "$i"
    done >"src/new$c.txt"
}

commit() {
    local c=$1
    export GIT_AUTHOR_DATE="@$((1700000000 + c * 3600)) +0000" GIT_COMMITTER_DATE="@$((1700000000 + c * 3600 + 60)) +0000"
    write_files "$c"
    g add -A
    g commit -q -m "commit $c" -m "Body of commit $c."
}

# build_repo DIR: the whole scenario, everything it prints on stdout and stderr.
build_repo() {
    mkdir -p "$1/src"
    cd "$1"
    g init -q -b main
    g config gc.auto 0
    g config pack.threads 1
    commit 1
    commit 2
    commit 3
    g switch -q -c feature
    commit 4
    commit 5
    g switch -q main
    commit 6
    export GIT_COMMITTER_DATE="@1700100000 +0000"
    g merge -q --no-ff -X theirs -m "merge feature" feature
    g tag -a v1 -m "release 1"
    g log --graph --all --format='%H %an <%ae> %ad %cn %cd %s' --date=iso-strict
    g log -p --stat --format='%H%n%B' -n 3 main
    g diff --stat v1~1 v1
    g blame -s src/f1.txt
    g grep -c 'value 1'
    g gc -q --aggressive
    g count-objects -v | grep -v '^size'
    g fsck --full --strict --no-dangling
    g cat-file --batch-all-objects --batch-check
    g rev-list --all --objects
    g status --porcelain --branch
    echo "git runs: $git_runs"
}

runner=()
(build_repo "$scratch/base") >"$scratch/base.out" 2>"$scratch/base.err"
runner=(with_atoll)
(build_repo "$scratch/atoll") >"$scratch/atoll.out" 2>"$scratch/atoll.err"

grep -q '^\* .* merge feature$' "$scratch/base.out" || fail "the scenario did not build the merge" "$scratch/base.out"
same_output "$scratch/base.out" "$scratch/atoll.out"
without_stats "$scratch/atoll.err" >"$scratch/atoll.err.clean"
same_output "$scratch/base.err" "$scratch/atoll.err.clean"
assert_served "$scratch/atoll.err" "$(sed -n 's/^git runs: //p' "$scratch/base.out")"
