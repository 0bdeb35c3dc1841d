#!/bin/sh
# The agent's event-to-kernel latency and heap (AgentLatencyMeasurement) on two revisions, one after the other in
# one run: BEFORE (default: main) in a temporary git worktree, then this working tree.
#   benchmarks/agent-before-after.sh [BEFORE] ; NAMESPACES=200 (50 pods, 10 policies each) SAMPLES=100
set -eu
before=${1:-main}
namespaces=${NAMESPACES:-200}
samples=${SAMPLES:-100}
here=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
git -C "$here" worktree add --quiet --detach "$tmp/before" "$before"
trap 'git -C "$here" worktree remove --force "$tmp/before"; rm -rf "$tmp"' EXIT
measure() {
    (cd "$1" && mvn -B -q -o -pl operator -am test -Dtest=AgentLatencyMeasurement \
        -Dsurefire.failIfNoSpecifiedTests=false -Dnftpolicy.measure=true \
        -Dnftpolicy.measure.namespaces="$namespaces" -Dnftpolicy.measure.samples="$samples" 2>&1) \
        | grep -E "^(cluster|loaded|start to first|node ruleset|heap after GC|change|pod add|pod label|policy create|load average|where the time went|garbage collections|of [0-9]+ slow)" \
        || true
}
echo "== before: $before ($(git -C "$tmp/before" rev-parse --short HEAD))"
measure "$tmp/before"
echo "== after: working tree ($(git -C "$here" rev-parse --short HEAD))"
measure "$here"
