#!/usr/bin/env python3
# other.py SCHED_TXT PID [MIN_US]: wake-to-run delays >= MIN of PID's threads; what ran on each CPU at the wake-up
import re, sys, collections
path, pid = sys.argv[1], sys.argv[2]
minimum = float(sys.argv[3]) if len(sys.argv) > 3 else 300
rx = re.compile(r'\s*(\S.*?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)')
woken = {}; running = {}; tids = set(); out = []
for line in open(path):
    m = rx.match(line)
    if not m: continue
    comm, p, tid, cpu, t, name, rest = m.groups()
    t = float(t) * 1e6; cpu = int(cpu)
    if p == pid: tids.add(tid)
    if name == 'sched:sched_wakeup':
        w = re.search(r'comm=(.*?) pid=(\d+) .*target_cpu=(\d+)', rest)
        woken[w.group(2)] = (t, int(w.group(3)), comm, dict((c, v[0]) for c, v in running.items()))
    elif name == 'sched:sched_switch':
        w = re.search(r'prev_comm=(.*?) prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)', rest)
        running[cpu] = (w.group(4), t)
        nxt = w.group(5)
        if nxt in woken:
            t0, target, waker, snap = woken.pop(nxt)
            if nxt in tids and t - t0 >= minimum:
                out.append((t - t0, w.group(4), cpu, target, waker, snap))
print(f"{len(out)} waits >= {minimum} us")
c = collections.Counter()
for d, comm, cpu, target, waker, snap in sorted(out, reverse=True):
    print(f"{d:7.0f} us {comm} ran on {cpu} (target {target}, waker {waker}); at wake-up: " + ", ".join(f"cpu{k}={v}" for k, v in sorted(snap.items())))
