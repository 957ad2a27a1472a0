#!/usr/bin/env python3
# flushruns.py DIR: from flushsys.sh's trace, apus-flush's on-CPU runs >= MIN us (env, default 500): length, how it
# ended (prev_state), the syscall(s) it was in, and whether apus-loop-1 was woken onto that CPU meanwhile.
import re, sys, os
d = sys.argv[1]; MIN = float(os.environ.get('MIN', 500))
T = int(open(d + '/tids.txt').read().split()[3])
NAMES = {0:'read',1:'write',3:'close',9:'mmap',10:'mprotect',11:'munmap',17:'pread64',18:'pwrite64',26:'msync',28:'madvise',
  74:'fsync',75:'fdatasync',77:'ftruncate',202:'futex',221:'fadvise64',228:'clock_gettime',230:'clock_nanosleep',
  257:'openat',262:'newfstatat',285:'fallocate',232:'epoll_wait',281:'epoll_pwait',217:'getdents64',87:'unlink',
  83:'mkdir',82:'rename',4:'stat',5:'fstat',8:'lseek',16:'ioctl',72:'fcntl',96:'gettimeofday',35:'nanosleep',
  24:'sched_yield',277:'sync_file_range',332:'statx'}
cur = None; start = None; insys = None; sysstart = None; seen = []; loopw = []
out = []
for l in open(d + '/sched.txt'):
    m = re.search(r'\[(\d+)\] (\d+\.\d+):\s+(\S+): (.*)', l)
    if not m: continue
    cpu, t, ev, rest = int(m[1]), float(m[2]), m[3], m[4]
    if ev == 'raw_syscalls:sys_enter':
        n = int(re.search(r'NR (\d+)', rest)[1]); insys = NAMES.get(n, str(n)); sysstart = t; seen.append(insys); continue
    if ev == 'raw_syscalls:sys_exit':
        insys = None; continue
    if ev == 'sched:sched_wakeup' and 'comm=apus-loop-1 ' in rest and start is not None:
        tc = int(re.search(r'target_cpu=(\d+)', rest)[1])
        if tc == cur: loopw.append(t)
        continue
    if ev == 'sched:sched_switch':
        if f'next_pid={T} ' in rest:
            cur, start = cpu, t; seen = [insys] if insys else []; loopw = []
        elif f'prev_pid={T} ' in rest and start is not None:
            dur = (t - start) * 1e6; st = re.search(r'prev_state=(\S+)', rest)[1]
            if dur >= MIN:
                lw = ' loop-woken-here %.0fus before end' % ((t - loopw[0]) * 1e6) if loopw else ''
                out.append(f"{start:.6f} cpu{cur} run {dur:7.0f}us end {st:3} in {insys or '-':10} syscalls {','.join(dict.fromkeys(s for s in seen if s))}{lw}")
            start = None
print('\n'.join(out)); print(len(out), 'runs >=', MIN)
