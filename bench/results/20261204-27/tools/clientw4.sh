#!/bin/bash
# clientw4.sh: the bench client under callgrind (W4 at 500/s for 8 and 16 s: the difference is 4,000 messages), old and
# new client alternated, the broker native (new). libdrain.so: dispatch_main draining the main queue on the main thread
set -u
out=/work/scratch/cgw4; mkdir -p $out
for b in apus-c8fa5c9 apus-new; do
  [ -f $out/$b.strip ] || objcopy --strip-debug /work/scratch/$b $out/$b.strip
done
for d in 8 16; do
for b in apus-c8fa5c9 apus-new; do
  rm -rf $out/data
  /work/scratch/apus-new serve --data-dir $out/data --namesrv-port 29876 --broker-port 30911 --http-port 28080 --log-level error > $out/broker-$b.log 2>&1 &
  p=$!
  for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/30911) 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
  LD_PRELOAD=/work/scratch/libdrain.so timeout 900 valgrind --tool=callgrind --compress-strings=no --compress-pos=no \
    --callgrind-out-file=$out/cg.$b.$d $out/$b.strip bench --namesrv 127.0.0.1:29876 --workloads w4 --rate 500 --duration $d \
    > $out/bench.$b.$d.log 2> $out/vg.$b.$d.log
  echo "rc=$?" >> $out/bench.$b.$d.log
  kill $p; wait $p 2>/dev/null
done
done
echo done > $out/DONE
