#!/bin/bash
# broker-instructions.sh: the whole broker's user-space instructions per message of an `apus bench` workload, counted
# by valgrind's callgrind in a broker (`apus serve`) that runs under it.
#
#   scripts/broker-instructions.sh [--binary PATH] [--functions] [--count N] [--client | --cpp-client PATH] [--signed]
#                                  [WORKLOAD [BENCH OPTION...]]
#
# WORKLOAD is w1 (the default; per message sent), w3 (per delivery), w4 (per message, sent at `RATE` messages per
# second, default 500), http (per ApsaraMQ HTTP publish, 16 keep-alive connections, default N = 4000) or http-consume
# (per message of `apus bench`'s HTTP consume workload: its backlog's publish, then the consume and ack; subtract the
# http figure for the consume side). With --signed, the broker runs with `aclEnable` and an account, and the HTTP
# requests are signed, as production HTTP clients send them. Further options go to `apus bench`, e.g. `w1 --serialize
# json`. The bench runs twice against the same broker, with N and 2N messages
# (default N = 20000; for w4, N and 2N seconds, default N = 8); the broker's counts are dumped after each run, and their
# difference divided by N is the per-message count, so start-up and each run's set-up (topic, route, subscriptions)
# cancel out. All the broker's threads are counted; the kernel's work is not. With --functions, the functions that take
# the instructions are listed too (self cost). KEEP=DIR keeps the callgrind files (`cg.1`, `cg.2`: the two runs), e.g.
# for callee breakdowns by `callgrind_annotate`. With --client, the bench client is counted instead: the broker runs
# natively and each of the two bench runs under callgrind (`cg.client.N`, `cg.client.2N`). CALLGRIND_OPTIONS adds
# options to callgrind's, e.g. `--separate-callers=3` to tell reference-count calls apart by their callers' callers
# (bench/results/20261206-43/tools/cgsep.py reads those files).
#
# Under callgrind the broker runs some 40 times slower, so the bench client's window stays full and each read burst
# carries more sends than on a bare machine: compare builds with each other, not with `perf` profiles. W4's count moves
# with timing (whether a pull finds its message or is parked first): compare its functions' totals (KEEP, then
# `callgrind_annotate --inclusive=yes` of `cg.2`) rather than the per-message figure.
#
# With --cpp-client PATH (w4 only), the load is the Apache C++ client instead of `apus bench`: PATH is the shared
# bench's `bench_rocketmq` (`shared/bench/build.sh rocketmq`; librocketmq 1.2.3 from the rocketmq==0.4.4 wheel),
# producing and consuming with JSON headers as the real clients do; its own W4 result line is printed.
#
# valgrind 3.19 cannot read Swift 6.3's DWARF 5 (so the binary is run as a copy stripped of its debug information), and
# it stops with an internal error when the main thread leaves through `dispatch_main` (the async main's last step, which
# exits the main thread with `pthread_exit`). A `dispatch_main` that keeps the main thread and drains the main queue on
# it (through libdispatch's run-loop hooks, as a run loop would; parking it starved the async main) is preloaded
# instead; nothing the broker does runs on the main queue, and the broker is stopped with SIGKILL at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=.build/release/apus
functions=0
client=0
cpp_client=
signed=0
n=
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --functions) functions=1; shift ;;
        --count) n=$2; shift 2 ;;
        --client) client=1; shift ;;
        --cpp-client) cpp_client=$2; shift 2 ;;
        --signed) signed=1; shift ;;
        *) break ;;
    esac
done
workload=${1:-w1}
[ $# -gt 0 ] && shift
case "$workload" in
    w1) count_option=--count; per=1; n=${n:-20000} ;;
    w3) count_option=--count3; per=4; n=${n:-20000} ;;
    w4) count_option=--duration; per=${RATE:-500}; n=${n:-8}; set -- --rate "$per" "$@" ;;
    http|http-consume) count_option=--count; per=1; n=${n:-4000}
          set -- --protocol http --http-endpoint 127.0.0.1:${HTTP_PORT:-28080} --connections 16 "$@" ;;
    *) echo "workload must be w1, w3, w4, http or http-consume" >&2; exit 2 ;;
esac
if [ -n "$cpp_client" ] && { [ "$workload" != w4 ] || [ $client = 1 ]; }; then
    echo "--cpp-client counts the broker, under W4 only" >&2
    exit 2
fi

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
if [ $signed = 1 ]; then
    printf 'aclEnable=true\naccessKey=bench\nsecretKey=benchsecret\n' > "$work/broker.conf"
    serve+=(--config "$work/broker.conf")
    set -- "$@" --access-key bench --secret-key benchsecret
fi
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

case "$workload" in http) bench_workload=publish ;; http-consume) bench_workload=consume ;; *) bench_workload=$workload ;; esac
bench=(bench --namesrv 127.0.0.1:$namesrv_port --workloads "$bench_workload" --time-limit 600 "$@")
if [ $client = 1 ]; then
    # The bench client under callgrind, one process per run; the broker runs natively.
    for count in $n $((2 * n)); do
        LD_PRELOAD="$work/libdrain.so" "${callgrind[@]}" --callgrind-out-file="$work/cg.client.$count" "$work/apus" \
            "${bench[@]}" $count_option $count \
            2>"$work/valgrind.$count.log" | grep -E "^(W[0-9]|HTTP)" >&2
        costs "$work/cg.client.$count" > "$work/cost.$count"
    done
    scripts/callgrind-per-op.py "$work/cost.$n" "$work/cost.$((2 * n))" "$((n * per))" "bench client, $workload $*" \
        $((functions * 40)) | demangle
    exit
fi

callgrind_control -z $broker >/dev/null 2>&1
part=0
for count in $n $((2 * n)); do
    if [ -n "$cpp_client" ]; then
        HOME="$work" "$cpp_client" --workload w4 --namesrv 127.0.0.1:$namesrv_port --prefix "cg$part" --rate "$per" \
            --duration "$count" --size 1024 | grep -E "^RESULT" | tr '\t' ' ' >&2
    else
        "$work/apus" "${bench[@]}" $count_option $count | grep -E "^(W[0-9]|HTTP)" >&2
    fi
    callgrind_control -d $broker >/dev/null 2>&1
    part=$((part + 1))
    costs "$work/cg.$part" > "$work/cost.$count"
done

scripts/callgrind-per-op.py "$work/cost.$n" "$work/cost.$((2 * n))" "$((n * per))" \
    "broker, $workload $*${cpp_client:+, the C++ client as the load}" $((functions * 40)) --dumped | demangle
