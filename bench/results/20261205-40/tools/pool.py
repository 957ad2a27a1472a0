# pool.py DIR...: medians over sittings: Apus (new-N.txt, jnew-N.txt) and the peers (peers-SYS-N/*/results.tsv)
import glob, re, statistics as st, sys
med = st.median
A = {k: [] for k in ['W1', 'J', 'W2', 'W3', 'p50', 'p99', 'p999']}
P = {}
for d in sys.argv[1:]:
    for f in glob.glob(d + '/new-*.txt'):
        t = open(f).read()
        A['W1'].append(float(re.search(r'^W1: ([\d,]+)', t, re.M).group(1).replace(',', '')))
        A['W2'].append(float(re.search(r'^W2: ([\d,]+)', t, re.M).group(1).replace(',', '')))
        A['W3'].append(float(re.search(r'^W3: ([\d,]+)', t, re.M).group(1).replace(',', '')))
        m = re.search(r'^W4: p50 ([\d.]+) / p99 ([\d.]+) / p999 ([\d.]+)', t, re.M)
        for k, v in zip(['p50', 'p99', 'p999'], m.groups()): A[k].append(float(v))
    for f in glob.glob(d + '/jnew-*.txt'):
        A['J'].append(float(re.search(r'^W1: ([\d,]+)', open(f).read(), re.M).group(1).replace(',', '')))
    for f in glob.glob(d + '/peers-*-*/*/results.tsv'):
        sysname = f.split('/')[-3].split('-')[1]
        s = P.setdefault(sysname, {k: [] for k in ['W1', 'W2', 'W3', 'p50', 'p99', 'p999']})
        for line in open(f):
            if not line.startswith('RESULT'): continue
            kv = dict(x.split('=', 1) for x in line.strip().split('\t')[1:] if '=' in x)
            if 'rep' not in kv: continue
            w = kv['workload']
            if w == 'W4':
                for k in ['p50', 'p99', 'p999']: s[k].append(float(kv[k + '_us']))
            elif w in ('W1', 'W2', 'W3'):
                s[w].append(float(kv.get('msgs_s') or kv.get('deliveries_s')))
def show(n, s): print(n, ' '.join(f"{k}={med(v):,.1f}" for k, v in s.items() if v), 'n=%d' % len(s['p999']))
show('apus', A)
for n, s in sorted(P.items()): show(n, s)
r = P['redis']; nats = P.get('nats', r)
print(f"vs redis: W1 {med(A['W1'])/med(r['W1']):.2f}x JSON {med(A['J'])/med(r['W1']):.2f}x W2 {med(A['W2'])/max(med(r['W2']), med(nats['W2'])):.2f}x (best peer) W3 {med(A['W3'])/med(r['W3']):.2f}x p50 {med(A['p50'])/med(r['p50']):.2f}x p99 {med(A['p99'])/med(r['p99']):.2f}x p999 {med(A['p999'])/med(r['p999']):.2f}x")
