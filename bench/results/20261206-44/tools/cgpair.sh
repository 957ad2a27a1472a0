#!/bin/bash
# cgpair.sh RATE OUT BIN...: W4 callgrind (--functions) of each binary in turn
R=$1; O=$2; shift 2
for b in "$@"; do n=$(basename $b); mkdir -p $O/$n; RATE=$R KEEP=$O/$n /work/main/scripts/broker-instructions.sh --binary $b --functions w4 > $O/$n/out.txt 2>&1; done
echo done > $O/DONE
