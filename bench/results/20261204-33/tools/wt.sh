#!/bin/bash
# wt.sh OUT MODE: W4 alone (apus|redis) with sched_switch/sched_wakeup system-wide for 14 s
OUT=$(realpath -m $1); MODE=$2; mkdir -p $OUT
sync; echo 3 > /proc/sys/vm/drop_caches
perf record -a -m 8192 -o $OUT/sched.data -e sched:sched_switch,sched:sched_wakeup --exclude-perf -- sleep 14 2> $OUT/perf.err &
PP=$!
case $MODE in
  apus) SERVE_ENV=A=1 /work/tools/ab.sh /work/exp/bins/apus-main36 $OUT/bench.txt w4 ;;
  redis) (cd /work/peerbench && NATS_PORT=14222 REDIS_PORT=16379 ./run-peers --target redis --workloads w4 --no-install --results $OUT/peers > $OUT/peers.log 2>&1) ;;
esac
wait $PP
perf script -i $OUT/sched.data -F comm,pid,tid,cpu,time,event,trace > $OUT/sched.txt 2>/dev/null
python3 /work/main/bench/results/20261203-26/tools/kdruns.py $OUT/sched.txt > $OUT/kdruns.txt
