#!/bin/bash
# dsw1.sh BIN OUT ARGS...: dstate.sh with the bench arguments given (e.g. a long W1)
# Fields: the bench output; the D-state waits summary (tools of round 29: dwaits.py over `perf script -F comm,pid,tid,cpu,time,event,trace,ip,sym`, leading blanks stripped)
BIN=$1; OUT=$2; shift 2
D=$(mktemp -d /var/tmp/apusds.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
perf record -a -g -o $OUT.data -e sched:sched_switch --filter 'prev_state == 2' -e sched:sched_wakeup -- sleep 600 >/dev/null 2>&1 &
PP=$!
sleep 0.5
$BIN bench --broker-pid $P "$@" > $OUT.txt 2>&1
kill -INT $PP; wait $PP 2>/dev/null
kill $P; wait $P 2>/dev/null
rm -rf $D
perf script -F comm,pid,tid,cpu,time,event,trace,ip,sym -i $OUT.data 2>/dev/null | sed -E 's/^ +([^ \t])/\1/' > $OUT.script
rm $OUT.data
