# abmed.py DIR...: per binary, medians of W1, W3, W4 p50/p99/p99.9 over dab.sh runs
import glob, re, statistics, sys, collections
d = collections.defaultdict(lambda: collections.defaultdict(list))
for D in sys.argv[1:]:
    for f in glob.glob(D + '/*.txt'):
        b = re.sub(r'-\d+\.txt$', '', f.split('/')[-1]); t = open(f).read()
        for k, pat in (('W1', r'W1: ([\d,]+)'), ('W3', r'W3: ([\d,]+)'), ('p50', r'W4: p50 ([\d.]+)'), ('p99', r'W4: p50 [\d.]+ / p99 ([\d.]+)'), ('p999', r'W4: .*? p999 ([\d.]+)')):
            m = re.search(pat, t)
            if m: d[b][k].append(float(m.group(1).replace(',', '')))
for b, v in sorted(d.items()):
    print(b, len(v['p50']), ' '.join('%s %.0f' % (k, statistics.median(x)) if k[0] == 'W' else '%s %.1f' % (k, statistics.median(x)) for k, x in v.items() if x))
