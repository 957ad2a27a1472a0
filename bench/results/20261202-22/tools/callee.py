import sys,collections
# stacks separated by blank lines; frames leaf-first
target=sys.argv[2]; depth=int(sys.argv[3]) if len(sys.argv)>3 else 1
samples=[];cur=[]
for l in open(sys.argv[1]):
    l=l.strip()
    if not l:
        if cur: samples.append(cur); cur=[]
        continue
    cur.append(l.split(None,1)[-1] if ' ' in l else l)
if cur: samples.append(cur)
tot=len(samples); hit=0; c=collections.Counter()
for s in samples:
    idx=[i for i,f in enumerate(s) if target in f]
    if not idx: continue
    hit+=1; i=max(idx)  # outermost occurrence
    child=s[i-depth] if i-depth>=0 else '<self>'
    c[child[:150]]+=1
print(f'total {tot} hit {hit} ({100*hit/tot:.1f}%)')
for k,v in c.most_common(25): print(f'{100*v/tot:6.2f}%  {k}')
