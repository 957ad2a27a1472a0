#!/bin/bash
# broker-instructions-cpp.sh (round 47): scripts/broker-instructions.sh's broker count, W4 only, with the shared
# bench's RocketMQ backend as the load — the Apache C++ client (librocketmq 1.2.3 from the rocketmq==0.4.4 wheel)
# producing and consuming with JSON headers — instead of `apus bench`. Needs BENCH_ROCKETMQ=path/to/bench_rocketmq
# (`shared/bench/build.sh rocketmq`).
#
#   BENCH_ROCKETMQ=... bench/results/20261206-47/tools/broker-instructions-cpp.sh [--binary PATH] [--functions]
#
# Per message at RATE (default 500) messages per second: runs of N and 2N seconds (default N = 8), difference / N.
set -euo pipefail
cd "$(dirname "$0")/../../../.."

binary=.build/release/apus
functions=0
client=0
n=
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --functions) functions=1; shift ;;
        --count) n=$2; shift 2 ;;
        --client) client=1; shift ;;
        *) break ;;
    esac
done
workload=w4
[ $# -gt 0 ] && shift
case "$workload" in
    w1) count_option=--count; per=1; n=${n:-20000} ;;
    w3) count_option=--count3; per=4; n=${n:-20000} ;;
    w4) count_option=--duration; per=${RATE:-500}; n=${n:-8}; set -- --rate "$per" "$@" ;;
    *) echo "workload must be w1, w3 or w4" >&2; exit 2 ;;
esac

for tool in valgrind callgrind_control; do
    if ! command -v $tool >/dev/null; then
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >/dev/null
        else
            echo "valgrind is needed (Debian: apt-get install valgrind)" >&2
            exit 1
        fi
    fi
done
if [ ! -x "$binary" ]; then
    echo "building the release binary" >&2
    swift build -c release --product apus >/dev/null
fi

work=$(mktemp -d)
broker=
cleanup() { [ -n "$broker" ] && kill -9 "$broker" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] && cp -r "$work" "$KEEP"; rm -rf "$work"; }
trap cleanup EXIT
cp "$binary" "$work/apus"
strip -g "$work/apus"
cat > "$work/drain.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>
void dispatch_main(void) {
    int (*handle)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "_dispatch_get_main_queue_handle_4CF");
    void (*drain)(void *) = (void (*)(void *))dlsym(RTLD_DEFAULT, "_dispatch_main_queue_callback_4CF");
    if (!handle || !drain) for (;;) pause();
    int fd = handle();
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        uint64_t pokes;
        if (poll(&p, 1, 100) > 0) (void)!read(fd, &pokes, sizeof pokes);
        drain(0);
    }
}
C
${CC:-cc} -shared -fPIC -O2 -o "$work/libdrain.so" "$work/drain.c"

namesrv_port=${NAMESRV_PORT:-29876}
broker_port=${BROKER_PORT:-30911}
callgrind=(valgrind --tool=callgrind --compress-strings=no --compress-pos=no ${CALLGRIND_OPTIONS:-})
serve=("$work/apus" serve --data-dir "$work/data" --namesrv-port $namesrv_port --broker-port $broker_port
       --http-port ${HTTP_PORT:-28080} --log-level error)
if [ $client = 1 ]; then
    "${serve[@]}" >"$work/broker.log" 2>&1 &
else
    LD_PRELOAD="$work/libdrain.so" "${callgrind[@]}" --callgrind-out-file="$work/cg" "${serve[@]}" >"$work/broker.log" 2>&1 &
fi
broker=$!
for _ in $(seq 600); do
    (echo > /dev/tcp/127.0.0.1/$broker_port) 2>/dev/null && break
    kill -0 $broker 2>/dev/null || { cat "$work/broker.log" >&2; exit 1; }
    sleep 0.1
done
sleep 2  # the broker's registration with its name server

demangle() { if command -v swift >/dev/null; then swift demangle --simplified; else cat; fi; }
costs() {
    callgrind_annotate --threshold=100 "$1" 2>/dev/null | sed -n 's/^ *\([0-9,]\{1,\}\) *([^)]*) *\(.*\)$/\1\t\2/p' | tr -d ','
}

rate=${RATE:-500}
callgrind_control -z $broker >/dev/null 2>&1
part=0
for count in $n $((2 * n)); do
    HOME="$work" timeout 300 "$BENCH_ROCKETMQ" --workload w4 --namesrv 127.0.0.1:$namesrv_port --prefix "cg$part" \
        --rate "$rate" --duration "$count" --size 1024 | grep -E "^RESULT" | tr '\t' ' ' | cut -c1-200 >&2
    callgrind_control -d $broker >/dev/null 2>&1
    part=$((part + 1))
    costs "$work/cg.$part" > "$work/cost.$count"
done
scripts/callgrind-per-op.py "$work/cost.$n" "$work/cost.$((2 * n))" "$((n * rate))" "broker, w4 with the C++ client at $rate msg/s" \
    $((functions * 40)) --dumped | demangle
