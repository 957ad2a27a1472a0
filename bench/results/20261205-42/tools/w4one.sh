#!/bin/bash
# w4one.sh BIN DUMP SERVE_ENV BENCHARGS...
B=$1; DUMP=$2; SE=$3; shift 3
D=$(mktemp -d /var/tmp/apusw4.XXXX); sync; echo 3 > /proc/sys/vm/drop_caches
env $SE $B serve --data-dir $D > $D/serve.log 2>&1 & P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done; sleep 0.5
st0=$(awk '/^cpu /{print $9}' /proc/stat)
$B bench --broker-pid $P --workloads w4 --latency-dump $DUMP "$@" 2>&1 | grep W4 | cut -c1-120
st1=$(awk '/^cpu /{print $9}' /proc/stat); echo "steal $((st1-st0))"
kill $P; wait $P 2>/dev/null; rm -rf $D
python3 -c "
rows=[int(l.split()[1]) for l in open('$DUMP')]
print('slow>200us %.1f%%' % (100*sum(1 for x in rows if x>200000)/len(rows)))"
