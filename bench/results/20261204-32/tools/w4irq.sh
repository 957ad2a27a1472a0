#!/bin/bash
# w4irq.sh BIN [CONF]: W4 alone ($WL to change) against a fresh broker; prints the bench's result line, then the
# deltas over the run of /sys/block/vda/stat (writes completed, sectors written, cache flushes) and the non-zero
# deltas of /proc/interrupts per CPU.
b=$1; conf=$2
D=$(mktemp -d /var/tmp/apusirq.XXXX)
$b serve --data-dir $D ${conf:+--config $conf} > $D/serve.log 2>&1 & P=$!
for k in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
cat /sys/block/vda/stat > $D/b1; cat /proc/interrupts > $D/i1
$b bench --broker-pid $P --workloads ${WL:-w4} 2>&1 | grep -E "^W"
cat /sys/block/vda/stat > $D/b2; cat /proc/interrupts > $D/i2
python3 - $D <<'PY'
import sys
d = sys.argv[1]
a, b = (open(f'{d}/{n}').read().split() for n in ('b1', 'b2'))
delta = [int(y) - int(x) for x, y in zip(a, b)]
print(f'disk: writes {delta[4]}, sectors written {delta[6]}, cache flushes {delta[15]}')
def rd(f):
    out = {}
    for line in open(f).read().splitlines()[1:]:
        p = line.split()
        out[p[0].rstrip(':')] = ([int(x) for x in p[1:3] if x.isdigit()], ' '.join(p[3:])[:40])
    return out
i1, i2 = rd(f'{d}/i1'), rd(f'{d}/i2')
for k, (v, name) in i2.items():
    if k in i1 and v != i1[k][0]:
        print('irq', k, [y - x for x, y in zip(i1[k][0], v)], name)
PY
kill $P; wait $P 2>/dev/null; rm -rf $D
