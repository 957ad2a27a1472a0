#!/usr/bin/env python3
# sitsum.py DIR: medians of a sitting (Apus new/prev, JSON W1, NATS, Redis, SYNC), ratios against Redis
import re, sys, glob, statistics as st
d = sys.argv[1]
def med(xs): return st.median(xs) if xs else float('nan')
def apus(prefix):
    r = {k: [] for k in ['W1','W2','W3','p50','p99','p999','c1','c2','c3','c4','k1','k2','k3','k4','steal']}
    for f in sorted(glob.glob(f"{d}/{prefix}-[0-9]*.txt")):
        for line in open(f):
            m = re.match(r'(W[123]): ([\d,]+) (?:msg|deliveries)/s.*broker CPU (\d+)%, bench client CPU (\d+)%', line)
            if m:
                rate = int(m.group(2).replace(',', '')); w = m.group(1)
                r[w].append(rate); r['c'+w[1]].append(int(m.group(3))*1e4/rate); r['k'+w[1]].append(int(m.group(4))*1e4/rate)
            m = re.match(r'W4: p50 ([\d.]+) / p99 ([\d.]+) / p999 ([\d.]+).*broker CPU (\d+)%, bench client CPU (\d+)%', line)
            if m:
                r['p50'].append(float(m.group(1))); r['p99'].append(float(m.group(2))); r['p999'].append(float(m.group(3)))
                r['c4'].append(int(m.group(4))*1e4/2000); r['k4'].append(int(m.group(5))*1e4/2000)
            m = re.match(r'machine steal ticks (\d+)', line)
            if m: r['steal'].append(int(m.group(1)))
    return r
def peers(system):
    r = {k: [] for k in ['W1','W2','W3','p50','p99','p999']}
    for f in glob.glob(f"{d}/peers-*/*/results.tsv"):
        for line in open(f):
            kv = dict(x.split('=',1) for x in line.strip().split('\t')[1:] if '=' in x)
            if kv.get('system') != system or kv.get('status') != 'ok': continue
            w = kv['workload']
            if w in ('W1','W2'): r[w].append(float(kv['msgs_s']))
            if w == 'W3': r[w].append(float(kv['deliveries_s']))
            if w == 'W4':
                for k, src in (('p50','p50_us'),('p99','p99_us'),('p999','p999_us')):
                    if src in kv: r[k].append(float(kv[src]))
    return r
rows = {'new': apus('new'), 'prev': apus('prev'), 'jnew': apus('jnew'), 'jprev': apus('jprev'), 'nats': peers('nats'), 'redis': peers('redis')}
for name, r in rows.items():
    print(name.ljust(6), ' '.join(f"{k}={med(v):,.0f}" if k in ('W1','W2','W3') else f"{k}={med(v):.2f}" for k, v in r.items() if v), f"n={len(r['W1'])}")
    if name in ('new','prev','jnew','jprev','redis','nats'):
        print('       W1 all:', sorted(int(x) for x in r['W1']), ' W3 all:', sorted(int(x) for x in r['W3']))
R = rows['redis']
for name in ('new','prev','jnew'):
    r = rows[name]
    print(f"{name} vs redis: " + ' '.join(f"{k} {med(r[k])/med(R[k]):.2f}x" for k in ('W1','W2','W3','p99','p999') if r[k] and R[k]))
for f in sorted(glob.glob(f"{d}/sync-*.txt")):
    for line in open(f):
        if line.startswith('W1:'): print(f.split('/')[-1], line[:40].strip())
