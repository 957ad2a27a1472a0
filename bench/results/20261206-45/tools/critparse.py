#!/usr/bin/env python3
"""critparse.py SCRIPT DUMP BROKER_TID CLIENT_TID PFD_C CFD_C PFD_B CFD_B
Stages of each W4 message from a syscall trace (perf script) and the bench's latency dump (same clock):
sent(body stamped) -> client write enter (send) -> broker read exit -> broker pwrite enter/exit -> broker write enter
(pull answer) -> broker write exit -> client read exit (answer) -> arrival (stamped)."""
import sys, re, bisect
script, dump, btid, ctid, pfdc, cfdc, pfdb, cfdb = sys.argv[1:9]
btid, ctid = int(btid), int(ctid)
ev = {k: [] for k in ['c_send_enter','b_read_exit','b_pw_enter','b_pw_exit','b_ans_enter','b_ans_exit','c_ans_read_exit','b_wake','c_wake']}
pending = {}
rx = re.compile(r'^\s*(\S+)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s+(.*)$')
for line in open(script):
    m = rx.match(line)
    if not m: continue
    comm, tid, cpu, t, evn, tr = m.groups(); tid = int(tid); t = float(t)
    if evn == 'sched:sched_wakeup':
        pm = re.search(r'pid=(\d+)', tr); p = int(pm.group(1))
        if p == btid: ev['b_wake'].append(t)
        elif p == ctid: ev['c_wake'].append(t)
        continue
    if tid not in (btid, ctid): continue
    if evn == 'raw_syscalls:sys_enter':
        mm = re.match(r'NR (\d+) \(([0-9a-f]+)', tr); nr, fd = int(mm.group(1)), mm.group(2)
        pending[tid] = (nr, fd, t)
        if tid == ctid and nr == 1 and fd == pfdc: ev['c_send_enter'].append(t)
        if tid == btid and nr == 18: ev['b_pw_enter'].append(t)
        if tid == btid and nr in (1, 20) and fd == cfdb: ev['b_ans_enter'].append(t)
    elif evn == 'raw_syscalls:sys_exit':
        mm = re.match(r'NR (\d+) = (-?\d+)', tr); nr, ret = int(mm.group(1)), int(mm.group(2))
        p = pending.get(tid)
        if not p: continue
        _, fd, _ = p
        if tid == btid and nr == 0 and fd == pfdb and ret > 1000: ev['b_read_exit'].append(t)
        if tid == btid and nr == 18: ev['b_pw_exit'].append(t)
        if tid == btid and nr in (1, 20) and fd == cfdb: ev['b_ans_exit'].append(t)
        if tid == ctid and nr == 0 and fd == cfdc and ret > 1000: ev['c_ans_read_exit'].append(t)
rows = []
for line in open(dump):
    seq, lat, at = map(int, line.split())
    rows.append((at - lat) / 1e9 if False else ((at - lat) / 1e9, at / 1e9))
def after(name, t):
    a = ev[name]; i = bisect.bisect_left(a, t)
    return a[i] if i < len(a) else None
def before(name, t):
    a = ev[name]; i = bisect.bisect_right(a, t) - 1
    return a[i] if i >= 0 else None
stages = ['sent->c_write', 'c_write->b_read', 'b_read->pwrite', 'pwrite', 'pwrite->ans_write', 'ans_write', 'ans_exit->c_read', 'c_read->arrival', 'total']
vals = {s: [] for s in stages}
for sent, arr in rows:
    a = after('c_send_enter', sent); b = after('b_read_exit', a or sent); c = after('b_pw_enter', b or sent)
    d = after('b_pw_exit', c or sent); e = after('b_ans_enter', d or sent); f = after('b_ans_exit', e or sent)
    g = before('c_ans_read_exit', arr)
    if None in (a, b, c, d, e, f, g) or not (sent <= a <= b <= c <= d <= e <= f <= g <= arr): continue
    for s, v in zip(stages, [a-sent, b-a, c-b, d-c, e-d, f-e, g-f, arr-g, arr-sent]): vals[s].append(v*1e6)
def pct(a, q): a = sorted(a); return a[min(len(a)-1, int(q*len(a)))]
print(f"{len(vals['total'])}/{len(rows)} messages matched")
print(f"{'stage':20} {'p50':>8} {'p90':>8} {'p99':>8} {'mean':>8}")
for s in stages:
    a = vals[s]
    print(f"{s:20} {pct(a,.5):8.1f} {pct(a,.9):8.1f} {pct(a,.99):8.1f} {sum(a)/len(a):8.1f}")
