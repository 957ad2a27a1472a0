import re,statistics
ev=[]
for l in open('tr.txt'):
    m=re.match(r'\s*(\S+)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)',l)
    if not m: continue
    comm,pid,tid,cpu,t,e,rest=m.groups()
    if e.startswith('raw_syscalls'):
        nr=int(rest.split()[1])
        if e.endswith('enter'): a=rest.split('(')[1].split(',')[0]; ev.append((float(t),tid,'>',nr,a))
        else: ev.append((float(t),tid,'<',nr,rest.split('=')[-1].strip()))
B='21891'; C='21903'
b=[x for x in ev if x[1]==B]
ph={'read->pwrite':[], 'pwrite':[], 'pwrite->write':[], 'write(pull)':[]}
for i in range(len(b)-6):
    # pattern: < read(1257) ... > pwrite ... < pwrite ... > write ... < write
    if b[i][2]=='<' and b[i][3]==0 and b[i][4]=='1257':
        seq=b[i+1:i+5]
        if [ (x[2],x[3]) for x in seq]==[('>',18),('<',18),('>',1),('<',1)]:
            ph['read->pwrite'].append((seq[0][0]-b[i][0])*1e6)
            ph['pwrite'].append((seq[1][0]-seq[0][0])*1e6)
            ph['pwrite->write'].append((seq[2][0]-seq[1][0])*1e6)
            ph['write(pull)'].append((seq[3][0]-seq[2][0])*1e6)
for k,v in ph.items(): print('B',k,len(v),'median %.1f p90 %.1f'%(statistics.median(v), sorted(v)[int(len(v)*.9)]))
c=[x for x in ev if x[1]==C]
ph={'pullresp read->write(next pull)':[], 'timer read->write(send)':[], 'send write':[], 'after send write->settime exit':[]}
for i in range(len(c)-3):
    if c[i][2]=='<' and c[i][3]==0 and c[i][4]=='1317' and c[i+1][2]=='>' and c[i+1][3]==1:
        ph['pullresp read->write(next pull)'].append((c[i+1][0]-c[i][0])*1e6)
    if c[i][2]=='<' and c[i][3]==0 and c[i][4]=='8' and c[i+1][2]=='>' and c[i+1][3]==1:
        ph['timer read->write(send)'].append((c[i+1][0]-c[i][0])*1e6)
        ph['send write'].append((c[i+2][0]-c[i+1][0])*1e6)
        ph['after send write->settime exit'].append((c[i+4][0]-c[i+2][0])*1e6)
for k,v in ph.items(): print('C',k,len(v),'median %.1f p90 %.1f'%(statistics.median(v), sorted(v)[int(len(v)*.9)]))
