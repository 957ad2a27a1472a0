#!/usr/bin/env python3
# callgrind-per-op.py: instructions per operation from two callgrind runs of N and 2N operations, for
# bench-instructions.sh and broker-instructions.sh. Each COSTS file holds "count<TAB>function" lines (callgrind's
# self cost per function, "PROGRAM TOTALS" for the whole run); their difference divided by N cancels the setup.
#
#   callgrind-per-op.py COSTS_N COSTS_2N N LABEL [ROWS [--dumped]]
#
# ROWS > 0 also lists that many functions by their own cost per operation. --dumped: the counts were dumped from a
# running process, whose threads' outer frames (thread starts, the event loop's run) are then listed with their
# inclusive cost, nearly the total and never a function's own: those are left out.
import collections, re, sys


def load(path):
    totals = collections.Counter()
    for line in open(path):
        count, _, name = line.rstrip("\n").partition("\t")
        totals[name.strip()] += int(count)
    return totals


first, second, n, label = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rows_wanted = int(sys.argv[5]) if len(sys.argv) > 5 else 0
dumped = "--dumped" in sys.argv[6:]
total = "PROGRAM TOTALS"
whole = (second[total] - first[total]) / n
print(f"{whole:9.0f}  {label}")
rows = sorted(((second[k] - first.get(k, 0)) / n, k) for k in second if k != total)
if dumped:
    rows = [row for row in rows if row[0] < whole / 2]
for cost, function in reversed(rows[-rows_wanted:] if rows_wanted else []):
    if cost >= 1:
        function = re.sub(r"^(\?\?\?|[^:]*):| \[[^]]*\]$", "", function)  # file and binary
        print(f"{cost:18.0f}  {function[:140]}")
