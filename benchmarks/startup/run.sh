#!/usr/bin/env bash
# bin/bench startup [--rounds N] [--baseline REV] [--kubectl]: the whole `nftpolicy compile` of a 10,000-pod /
# 2,000-policy snapshot, as YAML and as JSON, timed from the shell: wall time and CPU time (user + system), median of N
# rounds
# (default 5) with the variants interleaved. Variants: `bin/nftpolicy` as users run it (class-data sharing archive,
# short-run JVM flags), the same jar under a bare `java -jar`, and with --baseline the jar of another revision (built
# once into benchmarks/target/startup/) twice: under `java -jar`, as bin/nftpolicy ran it before it had an archive,
# and as bin/nftpolicy runs a jar now (an archive trained the same way, the same short-run flags), so that the code's
# own change shows apart from the launcher's. Prints a Markdown table and the load average before and after: on a
# shared machine, wall times follow the load, CPU times much less. --kubectl adds a third input: the same YAML with
# every pod as kubectl prints a Deployment's pod (managed fields, probes, volumes, statuses: 6.6 KB a pod instead of
# 0.6 KB, 67 MB; KubectlDump.java).
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
out="$root/benchmarks/target/startup"
rounds=5
baseline=""
kubectl=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --baseline) baseline="$2"; shift 2 ;;
        --kubectl) kubectl=1; shift ;;
        *) echo "bench startup: unknown option $1 (--rounds N, --baseline REV, --kubectl)" >&2; exit 2 ;;
    esac
done
mkdir -p "$out"

"$root/bin/nftpolicy" --version >/dev/null # builds the jar and its archive when they are missing or stale
jar="$root/operator/target/nftpolicy.jar"

yaml="$out/cluster-10k.yaml"
json="$out/cluster-10k.json"
if [[ ! -s "$yaml" ]]; then
    "$root/bin/nftpolicy" generate --namespaces 200 --pods-per-namespace 50 --nodes 20 --policies-per-namespace 10 \
        --output-file "$yaml" >/dev/null
fi
if [[ ! -s "$json" ]]; then
    java -cp "$jar" "$root/benchmarks/startup/ToJson.java" "$yaml" "$json"
fi
inputs=("$yaml" "$json")
if [[ -n "$kubectl" ]]; then
    full="$out/cluster-10k-kubectl.yaml"
    if [[ ! -s "$full" ]]; then
        java "$root/benchmarks/startup/KubectlDump.java" "$yaml" "$full"
    fi
    inputs+=("$full")
fi

variants=("bin/nftpolicy" "java -jar")
if [[ -n "$baseline" ]]; then
    rev="$(git -C "$root" rev-parse --short "$baseline")"
    old_jar="$out/nftpolicy-$rev.jar"
    if [[ ! -f "$old_jar" ]]; then
        echo "bench startup: building the jar of $rev ..." >&2
        tree="$(mktemp -d)"
        git -C "$root" archive "$rev" | tar -x -C "$tree"
        (cd "$tree" && mvn -B -q -DskipTests -pl operator -am package </dev/null >/dev/null 2>&1) \
            && cp "$tree/operator/target/nftpolicy.jar" "$old_jar"
        rm -rf "$tree"
        [[ -f "$old_jar" ]] || { echo "bench startup: building $rev failed" >&2; exit 2; }
    fi
    old_archive="$out/nftpolicy-$rev.jsa"
    if [[ ! -s "$old_archive" ]]; then
        java -Xlog:cds=off -Xlog:cds+dynamic=off -XX:ArchiveClassesAtExit="$old_archive" -jar "$old_jar" compile \
            --input "$root/samples/demo/cluster.yaml" --node node-1 --output /dev/null </dev/null >/dev/null 2>&1 || true
    fi
    variants=("$rev: java -jar" "$rev: archive, short-run flags" "${variants[@]}")
fi

run() { # variant input -> "wall cpu" in seconds
    local command
    case "$1" in
        "bin/nftpolicy") command=("$root/bin/nftpolicy") ;;
        "java -jar") command=(java -jar "$jar") ;;
        *": archive, short-run flags") command=(java -Xlog:cds=off -Xlog:cds+dynamic=off -XX:SharedArchiveFile="$old_archive"
            -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$old_jar") ;;
        *) command=(java -jar "$old_jar") ;;
    esac
    /usr/bin/time -f "%e %U %S" -o "$out/time" "${command[@]}" compile --input "$2" --node node-0 \
        2>/dev/null >/dev/null
    awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$out/time"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
declare -A walls cpus
for ((round = 1; round <= rounds; round++)); do
    for input in "${inputs[@]}"; do
        for variant in "${variants[@]}"; do
            read -r wall cpu < <(run "$variant" "$input")
            walls["$variant|$input"]+="$wall "
            cpus["$variant|$input"]+="$cpu "
        done
    done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

echo "compile --node node-0 of a 10,000-pod / 2,000-policy snapshot, median of $rounds interleaved rounds"
echo "($(nproc) cores; load average before $load_before, after $load_after)"
echo
echo "| variant | input | wall (s) | CPU, user + system (s) |"
echo "|---|---|---|---|"
for input in "${inputs[@]}"; do
    size="$(du -h --apparent-size "$input" | cut -f1)B"
    for variant in "${variants[@]}"; do
        wall="$(tr ' ' '\n' <<<"${walls["$variant|$input"]}" | grep . | median)"
        cpu="$(tr ' ' '\n' <<<"${cpus["$variant|$input"]}" | grep . | median)"
        kind="${input##*.}"
        [[ "$input" == *-kubectl.yaml ]] && kind="yaml, kubectl pods"
        echo "| $variant | $kind ($size) | $wall | $cpu |"
    done
done
