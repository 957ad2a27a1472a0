#!/bin/bash
# w4pin.sh BIN DUMP BROKERCPUS CLIENTCPUS
B=$1; DUMP=$2; BC=$3; CC=$4
D=$(mktemp -d /var/tmp/apusw4.XXXX); sync; echo 3 > /proc/sys/vm/drop_caches
taskset -c $BC $B serve --data-dir $D > $D/serve.log 2>&1 & P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done; sleep 0.5
taskset -c $CC $B bench --broker-pid $P --workloads w4 --latency-dump $DUMP 2>&1 | grep W4 | cut -c1-100
kill $P; wait $P 2>/dev/null; rm -rf $D
python3 -c "
rows=[int(l.split()[1]) for l in open('$DUMP')]
print('slow>200us %.1f%%' % (100*sum(1 for x in rows if x>200000)/len(rows)))"
