#!/bin/bash
# thr.sh OUT REPS WL COUNTOPT BIN...: one workload per fresh broker, per-thread CPU ticks of the broker over the bench
OUT=$1; REPS=$2; WL=$3; OPT=$4; shift 4; BINS=("$@")
mkdir -p $OUT
n=${#BINS[@]}
ticks() { for t in /proc/$1/task/*; do c=$(cat $t/comm | tr ' ' '_'); s=($(sed 's/^.*) //' $t/stat)); echo "$c $((${s[11]}+${s[12]}))"; done | awk '{a[$1]+=$2} END {for (k in a) printf "%s=%d ", k, a[k]}'; }
for r in $(seq $REPS); do
  for i in $(seq 0 $((n-1))); do
    b=${BINS[$(( (i + r - 1) % n ))]}; name=$(basename $b)
    D=$(mktemp -d /var/tmp/apusab.XXXX)
    $b serve --data-dir $D > $D/serve.log 2>&1 & P=$!
    for k in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
    sleep 0.5
    before=$(ticks $P)
    $b bench --broker-pid $P --workloads $WL $OPT > $OUT/$name-$r.txt 2>&1
    after=$(ticks $P)
    echo "before $before" >> $OUT/$name-$r.txt; echo "after $after" >> $OUT/$name-$r.txt
    kill $P; wait $P 2>/dev/null; rm -rf $D
  done
done
