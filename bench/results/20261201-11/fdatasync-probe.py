import os, time, sys
def run(mode, chunk=32768, secs=2.0):
    p=f'/var/tmp/fst/f-{mode}'
    if os.path.exists(p): os.unlink(p)
    fd=os.open(p, os.O_RDWR|os.O_CREAT, 0o644)
    size=1<<30
    if mode=='sparse': os.ftruncate(fd,size)
    elif mode=='falloc': os.posix_fallocate(fd,0,size)
    elif mode=='zeroed':
        z=b'\0'*(1<<20)
        for i in range(512): os.pwrite(fd,z,i<<20)
        os.fdatasync(fd)
    buf=b'x'*chunk; off=0; n=0; t0=time.time()
    while time.time()-t0<secs:
        os.pwrite(fd,buf,off); off+=chunk; os.fdatasync(fd); n+=1
    el=time.time()-t0
    os.close(fd); os.unlink(p)
    print(f'{mode:8} chunk {chunk:6}: {n/el:8.0f} fdatasync/s  {n*chunk/el/1e6:7.1f} MB/s')
for c in (4096, 32768, 131072):
    for m in ('sparse','falloc','zeroed'): run(m,c)
