import re,sys,glob,statistics,collections
d=collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1]+'/*.txt')):
    name=f.split('/')[-1].rsplit('-',1)[0]
    for line in open(f):
        m=re.match(r'W4: p50 ([\d.]+) / p99 ([\d.]+) / p999 ([\d.]+) us \(max ([\d.]+)\).*broker CPU (\d+)%, bench client CPU (\d+)%',line)
        if m: d[name].append([float(x) for x in m.groups()])
for k,v in sorted(d.items()):
    cols=list(zip(*v))
    print(k,'n',len(v),'p50 %.1f p99 %.1f p999 %.1f max %.1f broker %.0f%% client %.0f%%'%tuple(statistics.median(c) for c in cols))
