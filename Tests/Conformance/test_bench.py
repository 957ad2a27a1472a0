# Conformance: `apus bench` (the README's benchmark command) runs W1–W4 to completion against a real `apus serve`
# and reports every workload's checks: W1 all acknowledged, W2 drained exactly once, W3 every message to every
# group, W4 every paced message received with its latency. Small counts: this checks that the bench works, not speed.
import re
import subprocess

from harness import apus_bin

COUNT, COUNT3, RATE, DURATION = 4000, 1000, 500, 2


def test_bench_runs_every_tcp_workload_to_completion(apus, tmp_path):
    dump = tmp_path / "w4.txt"
    cmd = [apus_bin(), "bench", "--namesrv", apus.namesrv, "--count", str(COUNT), "--count3", str(COUNT3),
           "--rate", str(RATE), "--duration", str(DURATION), "--broker-pid", str(apus.proc.pid), "--time-limit", "60",
           "--latency-dump", str(dump)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    lines = {m.group(1): m.group(2) for m in re.finditer(r"^(W[1-4]): (.*)$", out, re.M)}
    assert set(lines) == {"W1", "W2", "W3", "W4"}, out
    assert "INCOMPLETE" not in out, out

    assert re.search(rf"^[\d,]+ msg/s, .*\({COUNT} in [\d.]+ s\).*failed 0;", lines["W1"]), lines["W1"]
    assert re.search(r"split (\d+)/(\d+), duplicates 0, missing 0", lines["W2"]), lines["W2"]
    split = re.search(r"split (\d+)/(\d+)", lines["W2"]).groups()
    assert sum(map(int, split)) == COUNT, lines["W2"]
    assert f"got {'/'.join([str(COUNT3)] * 4)}, duplicates 0" in lines["W3"], lines["W3"]

    total = RATE * DURATION
    w4 = re.search(r"p50 ([\d.]+) / p99 ([\d.]+) / p999 ([\d.]+) us \(max ([\d.]+)\), (\d+)/(\d+) received @(\d+)/s",
                   lines["W4"])
    assert w4, lines["W4"]
    p50, p99, p999, top = map(float, w4.groups()[:4])
    assert (int(w4.group(5)), int(w4.group(6)), int(w4.group(7))) == (total, total, RATE), lines["W4"]
    assert 0 < p50 <= p99 <= p999 <= top, lines["W4"]
    # How late the pacer sent against its schedule (the shared harness's sched_lag): a stalled or bursting pacer
    # would be seconds late by the end of the run.
    lag = re.search(r", producer lag p99 ([\d.]+) us", lines["W4"])
    assert lag and float(lag.group(1)) < 100_000, lines["W4"]
    # --latency-dump: every paced message once, in arrival order, and the slowest of them is the reported max.
    rows = [tuple(map(int, line.split())) for line in dump.read_text().splitlines()]
    assert sorted(seq for seq, _, _ in rows) == list(range(total)), rows[:5]
    assert all(a[2] <= b[2] for a, b in zip(rows, rows[1:])), "arrivals out of order"
    assert abs(max(latency for _, latency, _ in rows) / 1000 - top) < 0.1, (top, max(rows, key=lambda r: r[1]))
    # --broker-pid: the broker's CPU share is reported with each workload.
    assert all("broker CPU" in line for line in lines.values()), out
