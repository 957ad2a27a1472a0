#!/bin/bash
# bench-instructions.sh: instructions per operation of each `apus bench-parts` part, counted by valgrind's callgrind.
# Counts repeat to within a few instructions where timings on this machine move by tens of percent, so a change to
# one component can be judged by them.
#
#   scripts/bench-instructions.sh [--binary PATH] [--functions] [FILTER...]
#
# Each part matching a FILTER (default: every part) runs twice under callgrind, with N and 2N operations; the
# difference divided by N is the per-operation count, the setup (the store, the frames) cancelling out. With
# --functions, the functions that take the instructions are listed too (self cost). The binary (default: the release
# build) is run as a copy stripped of its debug information: valgrind 3.19 cannot read Swift 6.3's DWARF 5.
# Installs valgrind from Debian when it is missing and the script runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=.build/release/apus
functions=0
filters=()
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --functions) functions=1; shift ;;
        *) filters+=("$1"); shift ;;
    esac
done

if ! command -v valgrind >/dev/null; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >/dev/null
    else
        echo "valgrind is needed (Debian: apt-get install valgrind)" >&2
        exit 1
    fi
fi
if [ ! -x "$binary" ]; then
    echo "building the release binary" >&2
    swift build -c release --product apus >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$binary" "$work/apus"
strip -g "$work/apus"

if [ ${#filters[@]} -eq 0 ]; then
    while IFS= read -r name; do filters+=("$name"); done < <(
        "$work/apus" bench-parts --operations 64 --repeats 1 2>/dev/null | sed -n 's/^  \(.*[^ ]\) \{1,\}[0-9.]* ns\/op.*/\1/p')
fi

demangle() { if command -v swift >/dev/null; then swift demangle --simplified; else cat; fi; }

# callgrind's per-function self cost of one run, as "count<TAB>function" lines.
costs() {
    callgrind_annotate --threshold=100 "$1" 2>/dev/null | sed -n 's/^ *\([0-9,]\{1,\}\) *([^)]*) *\(.*\)$/\1\t\2/p' | tr -d ','
}

for filter in "${filters[@]}"; do
    # Framing parts run bursts of 600 frames: N a multiple of it, so that both runs do whole bursts.
    n=6000
    for count in $n $((2 * n)); do
        valgrind --tool=callgrind --callgrind-out-file="$work/cg.$count" "$work/apus" bench-parts --filter "$filter" \
            --operations $count --repeats 1 >/dev/null 2>&1
        costs "$work/cg.$count" > "$work/cost.$count"
    done
    scripts/callgrind-per-op.py "$work/cost.$n" "$work/cost.$((2 * n))" "$n" "$filter" $((functions * 15)) | demangle
done
