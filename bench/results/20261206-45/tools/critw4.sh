#!/bin/bash
# critw4.sh BIN OUT: fresh broker, W4 under a system-wide syscall+sched trace (CLOCK_MONOTONIC)
BIN=$1; O=$2
D=$(mktemp -d /var/tmp/apuscrit.XXXX)
sync; echo 3 > /proc/sys/vm/drop_caches
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
bash -c 'exec perf record -k CLOCK_MONOTONIC -a -e raw_syscalls:sys_enter --filter "(id == 0 || id == 1 || id == 20 || id == 18 || id == 232 || id == 19 || id == 44 || id == 45 || id == 46 || id == 47) && common_pid != $$" -e raw_syscalls:sys_exit --filter "(id == 0 || id == 1 || id == 20 || id == 18 || id == 232 || id == 19 || id == 44 || id == 45 || id == 46 || id == 47) && common_pid != $$" -e sched:sched_switch -e sched:sched_wakeup -o '$O.data > $O.perf.log 2>&1 &
R=$!
sleep 0.5
$BIN bench --broker-pid $P --workloads w4 --latency-dump $O.dump > $O.txt 2>&1
kill -INT $R; wait $R
echo "broker pid $P" >> $O.txt
kill $P; wait $P 2>/dev/null; rm -rf $D
