import re,glob,random,statistics as st,sys
dirs=sys.argv[1:]
A=[];R=[];pairs=[]
for d in dirs:
    for i in range(1,9):
        fa=glob.glob(f"{d}/new-{i}.txt"); fr=glob.glob(f"{d}/peers-redis-{i}/*/results.tsv")
        if not fa or not fr: continue
        a=float(re.search(r"W4: .*?p999 ([0-9.]+)",open(fa[0]).read()).group(1))
        t=open(fr[0]).read(); r=float(re.search(r"workload=W4.*?p999_us=([0-9.]+)",t,re.S).group(1))
        A.append(a);R.append(r)
print("apus",sorted(A)); print("redis",sorted(R))
print("median ratio",st.median(A)/st.median(R), "n",len(A))
random.seed(1); rs=[]
for _ in range(20000):
    a=[random.choice(A) for _ in A]; r=[random.choice(R) for _ in R]
    rs.append(st.median(a)/st.median(r))
rs.sort(); print("bootstrap 5%/50%/95%", rs[1000], rs[10000], rs[19000], "P(ratio>1)", sum(x>1 for x in rs)/len(rs))
# chance a 4-run sitting fails
fails=0
for _ in range(20000):
    a=random.sample(A,4) if len(A)>=4 else A; r=random.sample(R,4)
    fails+= st.median(a)>st.median(r)
print("P(4-run sitting fails)",fails/20000)
