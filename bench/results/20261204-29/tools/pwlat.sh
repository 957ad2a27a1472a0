#!/bin/bash
# pwlat.sh BIN OUT: fresh broker; W1 of 1M messages then W3 of 4x300k; every pwrite64 and fallocate of the broker
# traced (enter/exit), then their durations per thread: count, p50, p99, p99.99, max, and the calls above 5 ms
BIN=$1; OUT=$2
mkdir -p $(dirname $OUT)
D=$(mktemp -d /var/tmp/apuspw.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
perf record -p $P -m 8192 -o $OUT.data -e syscalls:sys_enter_pwrite64,syscalls:sys_exit_pwrite64,syscalls:sys_enter_fallocate,syscalls:sys_exit_fallocate >/dev/null 2>&1 &
PP=$!
sleep 0.5
$BIN bench --broker-pid $P --workloads w1,w3 --count 1000000 --count3 300000 > $OUT.txt 2>&1
kill -INT $PP; wait $PP 2>/dev/null
kill $P; wait $P 2>/dev/null
rm -rf $D
perf script -i $OUT.data -F comm,tid,time,event 2>/dev/null | python3 -c '
import sys, collections
start = {}; d = collections.defaultdict(list)
for line in sys.stdin:
    p = line.split()
    if len(p) < 4: continue
    comm, tid, t, ev = " ".join(p[:-3]), p[-3], float(p[-2].rstrip(":")), p[-1].rstrip(":")
    name = ev.split("_", 2)[-1]
    if "enter" in ev: start[(tid, name)] = t
    elif (tid, name) in start: d[(comm, name)].append((t - start.pop((tid, name))) * 1e6)
for (comm, name), v in sorted(d.items()):
    v.sort(); q = lambda f: v[min(len(v) - 1, int(f * len(v)))]
    print(f"{comm:16} {name:10} n={len(v):6} p50 {q(.5):7.1f} us p99 {q(.99):8.1f} p99.99 {q(.9999):9.1f} max {v[-1]:9.1f} >5ms {sum(1 for x in v if x > 5000)}")
'
grep -h "^W" $OUT.txt | cut -c1-70
perf report -i $OUT.data --stats 2>/dev/null | grep -i lost
rm -f $OUT.data
