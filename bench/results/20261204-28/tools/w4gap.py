# w4gap.py TRACE BROKER_PID BENCH_PID: from a trace of round 26's w4trace.sh, two W4 messages whose consumer read its
# answer more than 30 us after the broker wrote it ("slow") and two within 30 us ("fast"), with every event of both
# processes and the scheduler from 120 us before the answer; the slow ones show the broker preempting the client
# right after its send, so the client's post-send work lands between the answer and the consumer's read.
import re, sys
path, bpid, cpid = sys.argv[1], sys.argv[2], sys.argv[3]
rx = re.compile(r'\s*(\S.*?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)')
ev=[]
for line in open(path):
    m=rx.match(line)
    if m:
        comm,pid,tid,cpu,t,name,rest=m.groups(); ev.append((float(t)*1e6,comm,pid,tid,int(cpu),name,rest))
last_enter={}; shown={'slow':0,'fast':0}
for idx,e in enumerate(ev):
    t,comm,pid,tid,cpu,name,rest=e
    if name.startswith('syscalls:sys_enter_write'):
        m2=re.search(r'(count|vlen): (0x[0-9a-f]+)',rest); last_enter[tid]=(name,int(m2.group(2),16) if m2 else 0)
    if pid==bpid and name in ('syscalls:sys_exit_writev','syscalls:sys_exit_write') and tid in last_enter and (last_enter[tid][0].endswith('writev') or last_enter[tid][1]>1000):
        j=idx+1
        while j<len(ev) and ev[j][0]<t+300:
            q=ev[j]
            if q[2]==cpid and q[5]=='syscalls:sys_exit_read' and q[6].strip().startswith('0x') and int(q[6].strip(),16)>1000: break
            j+=1
        else: continue
        if j>=len(ev): continue
        dt=ev[j][0]-t; kind='slow' if dt>30 else 'fast'
        if shown[kind]>=2 or idx<2000: continue
        shown[kind]+=1
        print(f"== {kind} {dt:.0f}us (answer on cpu {cpu})")
        k=idx
        while k>0 and ev[k][0]>t-120: k-=1
        for q in ev[k:j+1]:
            if q[2] in (bpid,cpid) or 'switch' in q[5] or 'wakeup' in q[5]:
                print(f"  {q[0]-t:+7.1f} [{q[4]}] {q[1][:14]:14s} {q[5].replace('syscalls:sys_','')[:22]:22s} {q[6][:100]}")
    if shown['slow']>=2 and shown['fast']>=2: break
