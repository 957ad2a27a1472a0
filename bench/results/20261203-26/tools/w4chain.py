#!/usr/bin/env python3
# w4chain.py TRACE BROKER_PID BENCH_PID: per W4 message, the chain producer write -> broker read -> pwrite ->
# pull answer write -> consumer read, from `perf script` of w4trace.sh; prints medians/p90/p99 of each step (µs)
import re, sys, statistics
path, bpid, cpid = sys.argv[1], sys.argv[2], sys.argv[3]
rx = re.compile(r'\s*(\S.*?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)')
ev = []
for line in open(path):
    m = rx.match(line)
    if not m: continue
    comm, pid, tid, cpu, t, name, rest = m.groups()
    ev.append((float(t) * 1e6, pid, tid, int(cpu), name, rest))
# classify
msgs = []  # list of dicts
state = None
pending = {}   # tid -> enter event
chains = []
cur = None
def arg(rest, key):
    m = re.search(key + r': (0x[0-9a-f]+)', rest)
    return int(m.group(1), 16) if m else None
enter = {}
ops = []  # (t_enter, t_exit, pid, tid, cpu, kind, fd, count, ret)
for t, pid, tid, cpu, name, rest in ev:
    if name.startswith('syscalls:sys_enter_'):
        enter[tid] = (t, name[len('syscalls:sys_enter_'):], arg(rest, 'fd'), arg(rest, 'count') or arg(rest, 'vlen'), cpu)
    elif name.startswith('syscalls:sys_exit_') and tid in enter:
        t0, kind, fd, count, c0 = enter.pop(tid)
        ret = int(rest.strip(), 16) if rest.strip().startswith('0x') else None
        ops.append((t0, t, pid, tid, cpu, kind, fd, count, ret))
    elif name == 'sched:sched_switch':
        m = re.search(r'prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=.* next_pid=(\d+)', rest)
        if m: ops.append((t, t, pid, tid, cpu, 'switch', int(m.group(1)), m.group(2), int(m.group(3))))
    elif name == 'sched:sched_wakeup':
        m = re.search(r'pid=(\d+) .*target_cpu=(\d+)', rest)
        if m: ops.append((t, t, pid, tid, cpu, 'wakeup', int(m.group(1)), int(m.group(2)), None))
ops.sort(key=lambda o: o[1])
# producer sends: bench writes of ~1.2 KB
steps = {k: [] for k in ['producer_wake_to_write', 'consumer_read_to_next_write', 'send_syscall', 'to_broker_read', 'broker_to_pwrite', 'pwrite', 'pwrite_to_answer', 'answer_syscall', 'to_consumer_read', 'total_to_consumer_read', 'broker_preempted', 'same_cpu_consumer']}
i = 0
n = len(ops)
for idx, o in enumerate(ops):
    t0, t1, pid, tid, cpu, kind, fd, count, ret = o
    if pid == cpid and kind == 'write' and count and 1000 < count < 1400:
        # find broker read with ret == count after t1
        j = idx + 1
        br = pw = ans = cr = None
        preempt = 0
        while j < n and ops[j][0] < t0 + 20000:
            q = ops[j]
            if br is None and q[2] == bpid and q[5] == 'read' and q[8] and q[8] >= count: br = q
            elif br and pw is None and q[2] == bpid and (q[5] == 'pwrite64' or (q[5] == 'write' and q[7] and q[7] > 1000)): pw = q
            elif pw and ans is None and q is not pw and q[2] == bpid and q[5] in ('write', 'writev') and (q[5] == 'writev' or q[7] > 1000): ans = q
            elif ans and cr is None and q[2] == cpid and q[5] == 'read' and q[8] and q[8] > 1000: cr = q
            if br and not ans and q[5] == 'switch' and str(q[6]) == br[3] and q[7] == 'R': preempt = 1
            if cr: break
            j += 1
        if not cr: continue
        # the consumer's next request written after handling the message
        cw = None
        k = j + 1
        while k < n and ops[k][0] < cr[1] + 5000:
            if ops[k][3] == cr[3] and ops[k][5] in ('write', 'writev'): cw = ops[k]; break
            k += 1
        # the producer thread's last wake (switch in, or epoll_wait exit) before its write
        pw0 = None
        k = idx - 1
        while k >= 0 and ops[k][1] > t0 - 5000:
            q = ops[k]
            if (q[5] == 'switch' and str(q[8]) == tid) or (q[3] == tid and q[5] == 'epoll_wait'): pw0 = q; break
            k -= 1
        if pw0: steps['producer_wake_to_write'].append(t0 - pw0[1])
        if cw: steps['consumer_read_to_next_write'].append(cw[0] - cr[1])
        steps['send_syscall'].append(t1 - t0)
        steps['to_broker_read'].append(br[1] - t1)
        steps['broker_to_pwrite'].append(pw[0] - br[1])
        steps['pwrite'].append(pw[1] - pw[0])
        steps['pwrite_to_answer'].append(ans[0] - pw[1])
        steps['answer_syscall'].append(ans[1] - ans[0])
        steps['to_consumer_read'].append(cr[1] - ans[1])
        steps['total_to_consumer_read'].append(cr[1] - t0)
        steps['broker_preempted'].append(preempt)
        steps['same_cpu_consumer'].append(1 if cr[4] == ans[4] else 0)
def q(v, p): 
    v = sorted(v); return v[min(len(v) - 1, int(p * len(v)))]
print(f"{len(steps['total_to_consumer_read'])} messages traced")
for k, v in steps.items():
    if not v: continue
    if k in ('broker_preempted', 'same_cpu_consumer'):
        print(f"{k:24s} {sum(v)}/{len(v)}"); continue
    print(f"{k:24s} p50 {q(v,.5):7.1f}  p90 {q(v,.9):7.1f}  p99 {q(v,.99):7.1f}")
