#!/usr/bin/env python3
"""critdetect.py SCRIPT apus|redis: the arguments critparse2.py needs for one W4 trace, found from the trace itself:
the broker's thread (the one that writes the log), the producer's and consumer's threads and fds (by the sizes of
what they write and read with write, writev, sendto or sendmsg: a send is over 1,000 bytes, its ack under 200), and
the broker's fds."""
import sys, re, collections
script, system = sys.argv[1], sys.argv[2]
rx = re.compile(r'^\s*(\S+)\s+(\d+)\s+\[\d+\]\s+[\d.]+:\s+raw_syscalls:sys_(enter|exit):\s+NR (\d+) (.*)$')
pending = {}
big_w = collections.Counter(); big_r = collections.Counter(); logw = collections.Counter(); waits = collections.Counter()
comm_of = {}
for line in open(script):
    m = rx.match(line)
    if not m: continue
    comm, tid, kind, nr, rest = m.group(1), int(m.group(2)), m.group(3), int(m.group(4)), m.group(5)
    comm_of[tid] = comm
    if kind == 'enter':
        fd = rest[1:].split(',')[0]; pending[tid] = (nr, fd)
    else:
        p = pending.pop(tid, None)
        if not p or p[0] != nr: continue
        ret = int(rest.split('=')[1])
        fd = p[1]
        if nr == 18 or (system == 'redis' and nr == 1 and comm.startswith('redis') and 1000 < ret < 1105 and fd != ''):
            logw[(tid, fd, nr)] += 1
        if nr in (1, 20, 44, 46) and ret > 1000: big_w[(tid, fd)] += 1
        if nr == 0 and ret > 1000: big_r[(tid, fd)] += 1
        if (system == 'apus' and nr == 0 and ret == 8) or (system == 'redis' and nr == 230): waits[(tid, fd if system == 'apus' else '')] += 1
def top(c, pred=lambda k: True):
    return max((v, k) for k, v in c.items() if pred(k))[1]
if system == 'apus':
    btid, logfd, _ = top(logw, lambda k: k[2] == 18)
else:
    btid = top(big_r, lambda k: comm_of[k[0]].startswith('redis'))[0]
    logfd = top(logw, lambda k: k[0] == btid)[1]
# The producer writes sends (>1000 bytes) and is not the broker; the consumer reads answers (>1000) and is not the broker.
ptid, pfdc = top(big_w, lambda k: k[0] != btid)
ctid, cfdc = top(big_r, lambda k: k[0] != btid)
pfdb = top(big_r, lambda k: k[0] == btid)[1]
cfdb = top(big_w, lambda k: k[0] == btid)[1]
wtid, wfd = top(waits, lambda k: k[0] == ptid)
wake = f"0:{wfd}" if system == 'apus' else "230"
print(btid, ptid, ctid, pfdc, cfdc, pfdb, cfdb, logfd, wake)
