#!/bin/bash
# W4 with the broker under strace --seccomp-bpf -T (file and memory syscalls only)
BIN=$1; OUT=$2
D=$(mktemp -d /var/tmp/apusst.XXXX)
strace --seccomp-bpf -f -T -tt -e trace=pwrite64,pwritev,write,fdatasync,fsync,fallocate,ftruncate,mmap,munmap,madvise,msync,openat -o $OUT.broker $BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
BP=$(pgrep -f "apus-pull25 serve --data-dir $D" | tail -1)
$BIN bench --broker-pid $BP --workloads w4 > $OUT 2>&1
kill $P; wait $P 2>/dev/null
rm -rf $D
