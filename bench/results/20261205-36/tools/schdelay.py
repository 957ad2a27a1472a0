# schdelay.py DIR...: from `perf sched timehist` of each DIR/sched.data, the loops' scheduling delays (wake-up to run)
import subprocess, sys, collections
for d in sys.argv[1:]:
    out = subprocess.run(['perf', 'sched', 'timehist', '-i', d + '/sched.data'], capture_output=True, text=True).stdout
    s = collections.defaultdict(list)
    for line in out.splitlines()[3:]:
        f = line.split()
        if len(f) < 6: continue
        name = f[2].split('[')[0]
        if name in ('apus-loop-1', 'bench-loop-2', 'bench-loop-1'):
            s[name].append(float(f[4]) * 1000)
    bench = open(d + '/bench.txt').read().split('\n')[1][:60]
    print(d, bench)
    for n, v in sorted(s.items()):
        v.sort()
        print('  %-12s n %6d sum %7.0f ms  >50us %4d >100us %4d >200us %3d >500us %3d max %6.0f us' % (n, len(v), sum(v) / 1000, sum(x > 50 for x in v), sum(x > 100 for x in v), sum(x > 200 for x in v), sum(x > 500 for x in v), v[-1]))
