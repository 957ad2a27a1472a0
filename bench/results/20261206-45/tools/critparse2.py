#!/usr/bin/env python3
"""critparse2.py SCRIPT BROKER_TID PROD_TID CONS_TID PFD_C CFD_C PFD_B CFD_B LOGFD_B [WAKE_NR[:FD]]
Stages of each W4 message from a syscall trace (perf script), from the producer's write of the send:
client write enter -> broker read exit -> broker log write enter/exit (pwrite or AOF write) -> broker answer write
enter/exit (to the consumer) -> consumer read exit. WAKE_NR[:FD]: the producer's pacing syscall (Apus's bench: the
timerfd's read, 0:FD; the shared harness: clock_nanosleep, 230); its exit to the send's write is the producer's own
work before the send, timestamp included ('paced->c_write'). DUMP=FILE (`apus bench --latency-dump`, same clock): also
the bench's timestamp to the send's write ('sent->c_write') and the answer's read to the consumer's timestamp
('c_read->arrival'), matched by the messages' send times."""
import sys, re, bisect
script, btid, ptid, ctid, pfdc, cfdc, pfdb, cfdb, logfd = sys.argv[1:10]
btid, ptid, ctid = int(btid), int(ptid), int(ctid)
wake = sys.argv[10].split(':') if len(sys.argv) > 10 else None
names = ['p_wake_exit', 'c_send_enter','b_read_exit','b_log_enter','b_log_exit','b_ans_enter','b_ans_exit','c_read_exit']
ev = {k: [] for k in names}
pending = {}
rx = re.compile(r'^\s*(\S+)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s+(.*)$')
for line in open(script):
    m = rx.match(line)
    if not m: continue
    comm, tid, cpu, t, evn, tr = m.groups(); tid = int(tid); t = float(t)
    if tid not in (btid, ptid, ctid): continue
    if evn == 'raw_syscalls:sys_enter':
        mm = re.match(r'NR (\d+) \(([0-9a-f]+)', tr)
        if not mm: continue
        nr, fd = int(mm.group(1)), mm.group(2)
        pending[tid] = (nr, fd)
        if tid == ptid and nr in (1, 20, 44, 46) and fd == pfdc: ev['c_send_enter'].append(t)
        if tid == btid and nr in (1, 18) and fd == logfd: ev['b_log_enter'].append(t)
        if tid == btid and nr in (1, 20, 44, 46) and fd == cfdb: ev['b_ans_enter'].append(t)
    elif evn == 'raw_syscalls:sys_exit':
        mm = re.match(r'NR (\d+) = (-?\d+)', tr); nr, ret = int(mm.group(1)), int(mm.group(2))
        p = pending.get(tid)
        if not p: continue
        _, fd = p
        if tid == btid and nr == 0 and fd == pfdb and ret > 1000: ev['b_read_exit'].append(t)
        if tid == btid and nr in (1, 18) and fd == logfd: ev['b_log_exit'].append(t)
        if tid == btid and nr in (1, 20, 44, 46) and fd == cfdb: ev['b_ans_exit'].append(t)
        if tid == ctid and nr == 0 and fd == cfdc and ret > 1000: ev['c_read_exit'].append(t)
        if wake and tid == ptid and nr == int(wake[0]) and (len(wake) == 1 or fd == wake[1]): ev['p_wake_exit'].append(t)
def after(name, t):
    a = ev[name]; i = bisect.bisect_left(a, t)
    return a[i] if i < len(a) else None
def before(name, t):
    a = ev[name]; i = bisect.bisect_right(a, t) - 1
    return a[i] if i >= 0 else None
stages = ['paced->c_write', 'c_write->b_read', 'b_read->log', 'log write', 'log->ans_write', 'ans_write', 'ans_exit->c_read', 'c_write->c_read']
vals = {s: [] for s in stages}
for a in ev['c_send_enter']:
    b = after('b_read_exit', a); c = after('b_log_enter', b or a); d = after('b_log_exit', c or a)
    e = after('b_ans_enter', d or a); f = after('b_ans_exit', e or a); g = after('c_read_exit', f or a)
    if None in (b, c, d, e, f, g) or g - a > 0.01: continue
    w = before('p_wake_exit', a)
    if w is not None and a - w < 0.0005: vals['paced->c_write'].append((a - w) * 1e6)
    for s, v in zip(stages[1:], [b-a, c-b, d-c, e-d, f-e, g-f, g-a]): vals[s].append(v*1e6)
import os
if os.environ.get('DUMP'):
    vals['sent->c_write'] = []; vals['c_read->arrival'] = []
    for line in open(os.environ['DUMP']):
        seq, lat, at = map(int, line.split()); sent, arr = (at - lat) / 1e9, at / 1e9
        a = after('c_send_enter', sent); g = before('c_read_exit', arr)
        if a is None or g is None or not sent <= a <= g <= arr: continue
        vals['sent->c_write'].append((a - sent) * 1e6); vals['c_read->arrival'].append((arr - g) * 1e6)
    stages = ['sent->c_write'] + stages + ['c_read->arrival']
def pct(a, q): a = sorted(a); return a[min(len(a)-1, int(q*len(a)))]
print(f"{len(vals['c_write->c_read'])}/{len(ev['c_send_enter'])} sends matched")
print(f"{'stage':20} {'p50':>8} {'p90':>8} {'p99':>8} {'mean':>8}")
for s in stages:
    a = vals[s]
    if not a: continue
    print(f"{s:20} {pct(a,.5):8.1f} {pct(a,.9):8.1f} {pct(a,.99):8.1f} {sum(a)/len(a):8.1f}")
