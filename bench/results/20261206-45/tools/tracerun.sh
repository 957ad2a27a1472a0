#!/bin/bash
# tracerun.sh OUT CMD...: runs CMD under a system-wide trace on CLOCK_MONOTONIC (OUT.data, `perf script` it): the
# scheduler's switches and wake-ups, and the entries and exits of the IO and wait syscalls (read, write, pwrite64,
# readv, writev, poll, epoll_wait, clock_nanosleep, sendto, recvfrom, sendmsg, recvmsg, pselect6, epoll_pwait)
# of every process but perf itself
O=$1; shift
IDS='(id == 0 || id == 1 || id == 20 || id == 18 || id == 232 || id == 19 || id == 44 || id == 45 || id == 46 || id == 47 || id == 7 || id == 270 || id == 281 || id == 230)'
bash -c 'F="'"$IDS"' && common_pid != $$"; exec perf record -k CLOCK_MONOTONIC -a -e raw_syscalls:sys_enter --filter "$F" -e raw_syscalls:sys_exit --filter "$F" -e sched:sched_switch -e sched:sched_wakeup -o '$O'.data' > $O.perf.log 2>&1 &
R=$!
sleep 0.5
"$@"
kill -INT $R; wait $R
