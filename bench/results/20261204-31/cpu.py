import re,sys,glob,statistics,collections
d=collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1]+'/*.txt')):
    name=f.split('/')[-1].rsplit('-',1)[0]
    for line in open(f):
        m=re.match(r'(W\d): ([\d,]+) .*broker CPU (\d+)%',line)
        if m and m.group(1)==sys.argv[2]:
            rate=int(m.group(2).replace(',',''));cpu=int(m.group(3))
            d[name].append((rate,cpu/100/rate*1e6))
for k,v in d.items():
    print(k, 'n',len(v),'median rate',statistics.median(r for r,_ in v),'median broker us/op %.3f'%statistics.median(c for _,c in v), ' '.join('%.2f'%c for _,c in v))
