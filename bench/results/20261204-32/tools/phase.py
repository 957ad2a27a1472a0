# phase.py DUMP FLUSHTRACE [THR_US]: messages >= THR: how many were sent within [-2, +5] ms of a flush pass start
import sys, bisect
rows=[tuple(map(int,l.split())) for l in open(sys.argv[1]) if l.strip()]
fl=[tuple(map(int,l.split())) for l in open(sys.argv[2]) if l.strip()]
starts=sorted(f[0] for f in fl); durs=[(f[1]-f[0])/1e3 for f in fl]
thr=float(sys.argv[3]) if len(sys.argv)>3 else 300
lat=sorted(r[1] for r in rows)
slow=[r for r in rows if r[1]/1e3>=thr]
near=0
for seq,l,recv in slow:
    sent=recv-l
    i=bisect.bisect_right(starts,sent)
    d=[ (sent-starts[j])/1e6 for j in (i-1,i) if 0<=j<len(starts)]
    if any(-2<=x<=5 for x in d): near+=1
n=len(rows)
print(f'{sys.argv[1]}: p99 {lat[int(n*0.99)]/1e3:.0f} p99.9 {lat[int(n*0.999)]/1e3:.0f} us; >= {thr:.0f} us: {len(slow)}, of them near a flush start: {near}; flush pass µs median {sorted(durs)[len(durs)//2]:.2f} max {max(durs):.2f}')
