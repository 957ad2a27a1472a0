#!/usr/bin/env python3
# cachecost.py [DELAY_S]: what caching ahead buys on this guest. After a sync, a cache drop and DELAY_S seconds (default
# 12, by which the host has taken the freed memory back), a 1 GiB fallocated file gets its first 256 MiB cached with
# POSIX_FADV_WILLNEED in 8 MiB requests, then 256 MiB are written with 1 MiB pwrites into the cached half and into the
# other half; also how much one 64 MiB request caches (the kernel caps a request at the readahead size).
import os, subprocess, sys, time
delay = float(sys.argv[1]) if len(sys.argv) > 1 else 12
path = '/var/tmp/cachecost.bin'
subprocess.run(f'rm -f {path}; fallocate -l 1G {path}; sync; echo 3 > /proc/sys/vm/drop_caches', shell=True, check=True)
time.sleep(delay)
fd = os.open(path, os.O_RDWR)
t = time.time()
for off in range(0, 256 << 20, 8 << 20): os.posix_fadvise(fd, off, 8 << 20, os.POSIX_FADV_WILLNEED)
dt = time.time() - t
print('cache 256 MiB: %.3f s, %.2f us a page' % (dt, dt / 65536 * 1e6))
buf = b'x' * (1 << 20)
for name, base in (('cached', 0), ('new', 512 << 20)):
    t = time.time()
    for i in range(256): os.pwrite(fd, buf, base + i * (1 << 20))
    dt = time.time() - t
    print('write 256 MiB into %s pages: %.3f s, %.0f MB/s' % (name, dt, 256 / dt))
os.posix_fadvise(fd, 768 << 20, 64 << 20, os.POSIX_FADV_WILLNEED)
os.close(fd)
print(subprocess.run(['fincore', '-b', '-o', 'RES', path], capture_output=True, text=True).stdout.split()[-1],
      'bytes cached in all (512 MiB written or cached ahead, plus what one 64 MiB request cached)')
os.unlink(path)
