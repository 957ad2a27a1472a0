# cpumsg.py DIR...: CPU µs per message (broker/server, client), medians over sittings: Apus from new-N/jnew-N, peers from results.tsv
import glob, re, statistics as st, sys
med = st.median
A = {}
def add(k, v): A.setdefault(k, []).append(v)
for d in sys.argv[1:]:
    for pat, tag in (('/new-*.txt', ''), ('/jnew-*.txt', 'JSON ')):
        for f in glob.glob(d + pat):
            for line in open(f):
                m = re.match(r'^(W[1234]): (?:p50 [^,]*|([\d,]+) (?:msg/s|deliveries/s)).*broker CPU (\d+)%, bench client CPU (\d+)%', line)
                if not m: continue
                w = m.group(1); rate = 2000.0 if w == 'W4' else float(m.group(2).replace(',', ''))
                add(('apus', tag + w, 'broker'), int(m.group(3)) / 100 * 1e6 / rate)
                add(('apus', tag + w, 'client'), int(m.group(4)) / 100 * 1e6 / rate)
    for f in glob.glob(d + '/peers-*-*/*/results.tsv'):
        for line in open(f):
            if not line.startswith('RESULT'): continue
            kv = dict(x.split('=', 1) for x in line.strip().split('\t')[1:] if '=' in x)
            if 'rep' not in kv or 'server_cpu_pct' not in kv: continue
            w = kv['workload']; s = kv['system']
            rate = 2000.0 if w == 'W4' else float(kv.get('msgs_s') or kv.get('deliveries_s'))
            add((s, w, 'broker'), float(kv['server_cpu_pct']) / 100 * 1e6 / rate)
            add((s, w, 'client'), float(kv['client_cpu_pct']) / 100 * 1e6 / rate)
for k in sorted(A): print(f"{k[0]:6} {k[1]:8} {k[2]:7} {med(A[k]):7.2f} µs  (n={len(A[k])})")
