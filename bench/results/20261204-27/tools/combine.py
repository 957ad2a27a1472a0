#!/usr/bin/env python3
# combine.py DIR...: medians over sittings of Apus (new-*.txt, jnew-*.txt) and the peers (peers-*-N.log); CPU per
# message from the bench's CPU shares and each workload's elapsed time (W3 per delivery, W4 over its 10 s)
import glob, re, statistics, sys
def num(s): return float(s.replace(',', ''))
def med(v): return statistics.median(v) if v else float('nan')
apus = {k: [] for k in ['W1', 'W2', 'W3', 'p50', 'p99', 'p999', 'c1', 'c2', 'c3', 'c4', 'k1', 'k2', 'k3', 'k4', 'J', 'cj', 'kj']}
peers = {}
for d in sys.argv[1:]:
    for f in glob.glob(d + '/new-*.txt') + glob.glob(d + '/jnew-*.txt'):
        j = 'jnew' in f
        for line in open(f):
            m = re.match(r'(W[1-4]): (.*)', line)
            if not m: continue
            w, rest = m.groups()
            cpu = re.search(r'broker CPU (\d+)%, bench client CPU (\d+)%', rest)
            b, c = (int(cpu.group(1)) / 100, int(cpu.group(2)) / 100) if cpu else (None, None)
            if w == 'W1':
                rate = num(rest.split(' msg/s')[0]); n, t = re.search(r'\((\d+) in ([\d.]+) s\)', rest).groups()
                per = float(t) / int(n) * 1e6
                if j: apus['J'].append(rate); apus['cj'].append(b * per); apus['kj'].append(c * per)
                else: apus['W1'].append(rate); apus['c1'].append(b * per); apus['k1'].append(c * per)
            elif w == 'W2':
                apus['W2'].append(num(rest.split(' msg/s')[0])); n, t = re.search(r'\((\d+) in ([\d.]+) s\), 2', rest).groups()
                per = float(t) / int(n) * 1e6; apus['c2'].append(b * per); apus['k2'].append(c * per)
            elif w == 'W3':
                rate = num(rest.split(' deliveries/s')[0]); apus['W3'].append(rate)
                apus['c3'].append(b / rate * 1e6); apus['k3'].append(c / rate * 1e6)
            elif w == 'W4':
                p = re.search(r'p50 ([\d.]+) / p99 ([\d.]+) / p999 ([\d.]+)', rest).groups()
                apus['p50'].append(float(p[0])); apus['p99'].append(float(p[1])); apus['p999'].append(float(p[2]))
                apus['c4'].append(b * 10 / 20000 * 1e6); apus['k4'].append(c * 10 / 20000 * 1e6)
    for f in glob.glob(d + '/peers-*-*.log'):
        for line in open(f):
            m = re.match(r'\| (nats|redis) \| ([\d,.]+) \| [\d.]+ \| ([\d,.]+) \| ([\d,.]+) \| ([\d,.]+) \| ([\d,.]+) \| ([\d,.]+) \|', line)
            if m:
                s = peers.setdefault(m.group(1), {k: [] for k in ['W1', 'W2', 'W3', 'p50', 'p99', 'p999']})
                for k, v in zip(['W1', 'W2', 'W3', 'p50', 'p99', 'p999'], m.groups()[1:]): s[k].append(num(v))
def show(name, s):
    print(f"{name:6} " + ' '.join(f"{k}={med(v):,.2f}" for k, v in s.items() if v) + f" n={len(s['W1'])}")
    for k in ('W1', 'W3', 'p99'):
        if s.get(k): print(f"       {k} all: {sorted(s[k])}")
show('apus', apus)
for p, s in sorted(peers.items()): show(p, s)
r = peers.get('redis')
if r:
    print(f"apus vs redis: W1 {med(apus['W1'])/med(r['W1']):.2f}x W2 {med(apus['W2'])/max(med(r['W2']), med(peers.get('nats', r)['W2'])):.2f}x (best peer) "
          f"W3 {med(apus['W3'])/med(r['W3']):.2f}x p50 {med(apus['p50'])/med(r['p50']):.2f}x p99 {med(apus['p99'])/med(r['p99']):.2f}x "
          f"p999 {med(apus['p999'])/med(r['p999']):.2f}x JSON W1 {med(apus['J'])/med(r['W1']):.2f}x")
