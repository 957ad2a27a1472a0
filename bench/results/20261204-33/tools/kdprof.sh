#!/bin/bash
# kdprof.sh OUT MODE: MODE=idle|apus|redis; 16 s of sched tracepoints + kdamond call-graph profile while W4 alone runs
OUT=$(realpath -m $1); MODE=$2; mkdir -p $OUT
sync; echo 3 > /proc/sys/vm/drop_caches
K=$(pgrep -x kdamond.0)
perf record -a -m 4096 -o $OUT/sched.data -e sched:sched_switch --exclude-perf -- sleep 16 2> $OUT/perf.err &
PP=$!
perf record -g -t $K -o $OUT/kd.data -- sleep 16 2> $OUT/perfkd.err &
PK=$!
k0=$(awk '{print $15}' /proc/$K/stat)
case $MODE in
  idle) sleep 16 ;;
  apus) SERVE_ENV=A=1 /work/tools/ab.sh /work/exp/bins/apus-main36 $OUT/bench.txt w4 ;;
  redis) (cd /work/peerbench && NATS_PORT=14222 REDIS_PORT=16379 ./run-peers --target redis --workloads w4 --no-install --results $OUT/peers > $OUT/peers.log 2>&1) ;;
esac
wait $PP $PK
echo "kdamond ticks $(( $(awk '{print $15}' /proc/$K/stat) - k0 ))" > $OUT/kd-ticks.txt
perf script -i $OUT/sched.data -F comm,pid,tid,cpu,time,event,trace > $OUT/sched.txt 2>/dev/null
python3 /work/main/bench/results/20261203-26/tools/kdruns.py $OUT/sched.txt > $OUT/kdruns.txt
