#!/bin/bash
# stealwrap.sh OUT CMD...: runs CMD, appends per-vCPU steal ticks over the run to OUT
OUT=$1; shift
s0=$(awk '/^cpu[01] /{printf "%s ", $9}' /proc/stat)
"$@"
s1=$(awk '/^cpu[01] /{printf "%s ", $9}' /proc/stat)
read a0 b0 <<< "$s0"; read a1 b1 <<< "$s1"
echo "steal cpu0 $((a1-a0)) cpu1 $((b1-b0))" >> $OUT
