#!/bin/bash
# kdexp.sh LABEL: 10 s of kdamond's run lengths
perf record -a -o kd-$1.data -e sched:sched_switch --filter 'prev_comm == "kdamond.0" || next_comm == "kdamond.0"' -- sleep 10 2>/dev/null >/dev/null
perf script -i kd-$1.data -F comm,pid,tid,cpu,time,event,trace > kd-$1.txt 2>/dev/null
echo -n "$1: "; python3 /work/main/bench/results/20261203-26/tools/kdruns.py kd-$1.txt
