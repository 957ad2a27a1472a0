#!/bin/bash
# rss.sh BIN WORKLOADS: fresh broker, workloads, then the broker's resident pages per mapped file (MiB)
BIN=$1
D=$(mktemp -d /var/tmp/apusrs.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
$BIN bench --broker-pid $P --workloads $2 2>&1 | grep -E "^W"
grep -E "^(Rss|Pss_File|Pss_Anon)" /proc/$P/smaps_rollup
awk '/^[0-9a-f]+-[0-9a-f]+ /{name=$6} /^Rss:/{r[name]+=$2} END{for(n in r) if (r[n]>1024) printf "%8.1f MiB %s\n", r[n]/1024, n}' /proc/$P/smaps | sort -rn | head -12
kill $P; wait $P 2>/dev/null
du -sh $D; rm -rf $D
