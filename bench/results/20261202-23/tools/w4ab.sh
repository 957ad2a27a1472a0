#!/bin/bash
# w4ab.sh OUTDIR N BIN_A BIN_B: W4 alone, alternating A and B, N pairs; machine context switches per run appended
OUT=$1; N=$2; A=$3; B=$4
for i in $(seq $N); do
  for v in a b; do
    BIN=$A; [ $v = b ] && BIN=$B
    c0=$(awk '/^ctxt/{print $2}' /proc/stat)
    /work/tools/ab.sh $BIN $OUT/$v-$i.txt w4
    c1=$(awk '/^ctxt/{print $2}' /proc/stat)
    echo "machine ctxt $((c1-c0))" >> $OUT/$v-$i.txt
  done
done
