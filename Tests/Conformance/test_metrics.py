# Conformance: GET /metrics scraped by a REAL Prometheus. A group's lag created with the real C++ client
# (a consumer that caught up and stopped, then N messages produced) must appear through Prometheus's query API as
# rocketmq_group_diff{group=G,topic=T} == N, with rocketmq-exporter's labels. Also: every HTTP response carries a
# unique lowercase x-mq-request-id header.
import json
import shutil
import signal
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from harness import free_ports, message, port_open, producer, send_sync_all, tail, wait_for, wait_until_received

N = 37


def prometheus_binary():
    return shutil.which("prometheus") or next(
        (p for p in ("/usr/bin/prometheus", "/usr/local/bin/prometheus") if Path(p).exists()), None)


class Prometheus:
    """A real Prometheus on a free loopback port scraping one target every second."""

    def __init__(self, workdir, target):
        binary = prometheus_binary()
        if binary is None:
            pytest.skip("prometheus is not installed (scripts/test.sh installs Debian's `prometheus` when run as "
                        "root with apt-get; it could not be installed here)")
        self.port = free_ports(1)[0]
        workdir = Path(workdir)
        config = workdir / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: apus\n    metrics_path: /metrics\n"
            f"    static_configs:\n      - targets: ['{target}']\n")
        self.log_path = workdir / "prometheus.log"
        with open(self.log_path, "w", encoding="utf-8") as log:
            self.proc = subprocess.Popen(
                [binary, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'tsdb'}",
                 f"--web.listen-address=127.0.0.1:{self.port}"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"prometheus exited with {self.proc.returncode}:\n{tail(self.log_path)}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=1) as r:
                    return r.status == 200
            except (urllib.error.URLError, OSError):
                return False

        wait_for(ready, 20, 0.1, "prometheus to be ready")

    def query(self, promql):
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=5) as r:
            reply = json.load(r)
        assert reply["status"] == "success", reply
        return reply["data"]["result"]

    def target_up(self):
        return [float(s["value"][1]) for s in self.query('up{job="apus"}')] == [1.0]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def prometheus_for(tmp_path):
    started = []

    def start(server):
        wait_for(lambda: port_open(server.http_port), 10, 0.05, "apus's http port")
        p = Prometheus(tmp_path, f"127.0.0.1:{server.http_port}")
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()


def http_get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return r.status, r.headers, r.read().decode()


def test_metrics_endpoint_has_request_ids(apus):
    wait_for(lambda: port_open(apus.http_port), 10, 0.05, "apus's http port")
    status, headers, body = http_get(apus.http_port, "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE rocketmq_broker_tps gauge" in body
    assert "rocketmq_brokeruntime_commitlog_maxoffset{" in body
    first = headers["x-mq-request-id"]
    with pytest.raises(urllib.error.HTTPError) as missing:
        http_get(apus.http_port, "/nope")
    # A path no route serves gets the ApsaraMQ error (http-api.md: 400 InvalidRequestURL), with its own request id.
    assert missing.value.code == 400
    assert b"<Code>InvalidRequestURL</Code>" in missing.value.read()
    second = missing.value.headers["x-mq-request-id"]
    assert first and second and first != second
    # The header name is sent in lowercase (HTTP/1.1 raw bytes).
    import socket
    with socket.create_connection(("127.0.0.1", apus.http_port), timeout=5) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw = b""
        while b"\r\n\r\n" not in raw:
            chunk = s.recv(4096)
            if not chunk:
                break
            raw += chunk
    assert b"\r\nx-mq-request-id: " in raw.split(b"\r\n\r\n")[0]


def test_prometheus_sees_group_diff(apus, names, spawn_consumer, prometheus_for):
    topic, group = names.topic(), names.group()
    prom = prometheus_for(apus)
    wait_for(prom.target_up, 15, 0.2, "prometheus to scrape apus successfully")
    series = f'rocketmq_group_diff{{group="{group}",topic="{topic}"}}'

    def diff_values():
        return [float(s["value"][1]) for s in prom.query(series)]

    with producer(apus.namesrv, names.group("p")) as p:
        first = [f"first-{i}" for i in range(5)]
        send_sync_all(p, topic, first)
        consumer = spawn_consumer(apus.namesrv, group, topic, "c1")
        wait_until_received([consumer], first, timeout=30)
        # The consumer committed everything it consumed: the group's diff reaches 0 in Prometheus.
        wait_for(lambda: diff_values() == [0.0], 20, 0.2, f"{series} == 0 while the consumer is online")
        assert consumer.stop(timeout=15) is not None or not consumer.alive()
        send_sync_all(p, topic, [f"lag-{i}" for i in range(N)])

    # Offline group with committed offsets: one series, value N.
    wait_for(lambda: diff_values() == [float(N)], 20, 0.2, f"{series} == {N} through Prometheus")
    result = prom.query(series)
    labels = result[0]["metric"]
    assert labels["msgModel"] == "1"
    assert labels["countOfOnlineConsumers"] == "0"
    offset = prom.query(f'rocketmq_producer_offset{{topic="{topic}"}}')
    assert [float(s["value"][1]) for s in offset] == [5.0 + N]
    assert prom.query(f'rocketmq_consumer_offset{{group="{group}",topic="{topic}"}}')[0]["value"][1] == "5"
    # The sends and pulls went through the remoting dispatch: its latency histograms count them.
    counts = prom.query("sum(apus_request_duration_seconds_count)")
    assert counts and float(counts[0]["value"][1]) >= N + 5


def test_example_rules_and_config_are_valid():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool (Debian's prometheus package) is not installed")
    deploy = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
    for args in (["check", "rules", str(deploy / "apus-rules.yml")],
                 ["check", "config", str(deploy / "prometheus.yml")]):
        run = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=30)
        assert run.returncode == 0, run.stdout + run.stderr
    assert "ConsumerFallingBehind" in (deploy / "apus-rules.yml").read_text()
