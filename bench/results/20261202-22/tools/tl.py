import re,sys
names={0:'read',1:'write',18:'pwrite',232:'epoll_wait',286:'timerfd_settime',202:'futex',20:'writev',19:'readv',26:'msync',281:'epoll_pwait'}
t0=None
lines=open('tr.txt').read().splitlines()
out=[]
for l in lines:
    m=re.match(r'\s*(\S+)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)',l)
    if not m: continue
    comm,pid,tid,cpu,t,ev,rest=m.groups()
    t=float(t)
    who={'21891':'B','21903':'C'}.get(tid,comm[:6])
    if ev.endswith('sys_enter'):
        nr=int(rest.split()[1]); a=rest.split('(')[1].split(',')[0]
        s=f'{who} > {names.get(nr,nr)}({a})'
    elif ev.endswith('sys_exit'):
        nr=int(rest.split()[1]); r=rest.split('=')[-1].strip()
        s=f'{who} < {names.get(nr,nr)} = {r}'
    elif ev=='sched:sched_switch':
        mm=re.search(r'prev_comm=(.*) prev_pid=(\d+).*prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+)',rest)
        s=f'[{cpu}] switch {mm.group(1)}({mm.group(3)}) -> {mm.group(4)}'
    else:
        mm=re.search(r'comm=(.*) pid=(\d+).*target_cpu=(\d+)',rest)
        s=f'{who} wakes {mm.group(1)} on {mm.group(3)}'
    out.append((t,s))
start=int(sys.argv[1]); n=int(sys.argv[2])
prev=None
for t,s in out[start:start+n]:
    d=0 if prev is None else (t-prev)*1e6
    print(f'{t:.6f} +{d:6.1f}  {s}'); prev=t
