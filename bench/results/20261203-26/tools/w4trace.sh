#!/bin/bash
# w4trace.sh BIN OUTDIR [RATE]: W4 against a fresh broker; 3 s of syscall/sched tracepoints, system-wide, mid-run
BIN=$1; OUT=$2; RATE=${3:-2000}
mkdir -p $OUT
D=$(mktemp -d /var/tmp/apustr.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
$BIN bench --broker-pid $P --workloads w4 --rate $RATE > $OUT/bench.txt 2>&1 &
B=$!
sleep 5
perf record -a -m 4096 -o $OUT/trace.data -e 'syscalls:sys_enter_write,syscalls:sys_exit_write,syscalls:sys_enter_writev,syscalls:sys_exit_writev,syscalls:sys_enter_read,syscalls:sys_exit_read,syscalls:sys_enter_pwrite64,syscalls:sys_exit_pwrite64,syscalls:sys_enter_epoll_wait,syscalls:sys_exit_epoll_wait,sched:sched_wakeup,sched:sched_switch' --exclude-perf -- sleep 2 2> $OUT/perf.err
wait $B
echo "broker $P bench $B" >> $OUT/bench.txt
kill $P; wait $P 2>/dev/null
rm -rf $D
perf script -i $OUT/trace.data -F comm,pid,tid,cpu,time,event,trace > $OUT/trace.txt 2>/dev/null
