# dumpsec.py DUMP...: per `apus bench --latency-dump` file, p99.9 and the messages at or above THR µs (env, default
# 300) per second of the run, grouped into episodes (slow messages less than 5 ms apart)
import sys, os
THR = float(os.environ.get('THR', 300))
for f in sys.argv[1:]:
    rows = [tuple(map(int, l.split())) for l in open(f) if l.strip()]
    lat = sorted(r[1] / 1000 for r in rows)
    n = len(lat)
    p999 = lat[int(n * 0.999)] if n else 0
    sec = [0] * 11
    eps = []
    for s, l, a in sorted(rows, key=lambda r: r[2]):
        if l / 1000 >= THR:
            sec[min(s // 2000, 10)] += 1
            if eps and a - eps[-1][1] < 5_000_000: eps[-1] = (eps[-1][0], a, eps[-1][2] + 1, max(eps[-1][3], l / 1000))
            else: eps.append((a, a, 1, l / 1000))
    print('%-22s p999 %6.0f slow %3d per-second %s episodes %d (largest: %s)' % (os.path.basename(f), p999, sum(sec), sec, len(eps),
          ', '.join('%d msgs/%.0fus' % (e[2], e[3]) for e in sorted(eps, key=lambda e: -e[2])[:4])))
