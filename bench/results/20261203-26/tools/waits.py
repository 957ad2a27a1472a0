#!/usr/bin/env python3
# waits.py SCHED_TXT PID [MIN_US]: for each thread of PID, wake-to-run delays above MIN_US (default 300), with what ran
# on the CPU meanwhile
import re, sys, collections
path, pid = sys.argv[1], sys.argv[2]
minimum = float(sys.argv[3]) if len(sys.argv) > 3 else 300
rx = re.compile(r'\s*(\S.*?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)')
woken = {}   # tid -> (t, target cpu)
running = {}  # cpu -> (comm, tid, since)
tids = set()
ran = collections.defaultdict(list)  # cpu -> list of (t0, t1, comm)
events = []
for line in open(path):
    m = rx.match(line)
    if not m: continue
    comm, p, tid, cpu, t, name, rest = m.groups()
    t = float(t) * 1e6; cpu = int(cpu)
    if p == pid: tids.add(tid)
    if name == 'sched:sched_wakeup':
        w = re.search(r'comm=(.*?) pid=(\d+) .*target_cpu=(\d+)', rest)
        woken[w.group(2)] = (t, int(w.group(3)), comm)
    elif name == 'sched:sched_switch':
        w = re.search(r'prev_comm=(.*?) prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)', rest)
        prev, nxt = w.group(2), w.group(5)
        if cpu in running:
            c, tt, since = running[cpu]
            ran[cpu].append((since, t, c))
        running[cpu] = (w.group(4), nxt, t)
        if nxt in woken:
            t0, target, waker = woken.pop(nxt)
            events.append((t - t0, t0, t, nxt, w.group(4), cpu, target, waker))
out = [e for e in events if e[0] >= minimum and e[3] in tids]
print(f"{len(events)} wake-ups, {len([e for e in events if e[3] in tids])} of pid {pid}; {len(out)} waited >= {minimum} us")
for d, t0, t1, tid, comm, cpu, target, waker in sorted(out, reverse=True)[:15]:
    others = collections.Counter()
    for s, e, c in ran[cpu]:
        ov = min(e, t1) - max(s, t0)
        if ov > 0: others[c] += ov
    print(f"{d:8.0f} us  {comm} on cpu {cpu} (target {target}, woken by {waker}); meanwhile: " +
          ", ".join(f"{c} {v:.0f}" for c, v in others.most_common(4)))
