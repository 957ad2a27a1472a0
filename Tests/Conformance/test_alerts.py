# Accumulation alerting against real parts: the real C++ client creates the lag, Apus POSTs its alert to a test
# webhook in Alertmanager's webhook format AND pushes it to a real Alertmanager (Debian's prometheus-alertmanager),
# which routes it to the same test webhook; draining the lag resolves it on both paths. A rule on a broadcasting group
# is refused (logged, and `apus admin alertList` shows it refused). A failing webhook is retried with backoff and the
# delivery is counted.
import json
import shutil
import subprocess
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness import apus_bin, free_ports, message, producer, wait_for, warm_up

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


class Webhook:
    """A test webhook receiver on a free loopback port: every POST body (JSON) with its path."""

    def __init__(self):
        received = self.received = []
        lock = self.lock = threading.Lock()
        self.failures = {}  # path -> how many more POSTs to answer 503
        failures = self.failures

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    fail = failures.get(self.path, 0) > 0
                    if fail:
                        failures[self.path] -= 1
                    else:
                        received.append((self.path, json.loads(body)))
                self.send_response(503 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def alerts(self, path, status):
        """Alerts (status, labels) received on `path` in payloads of `status`."""
        with self.lock:
            return [a for p, body in self.received if p == path and body.get("status") == status
                    for a in body.get("alerts", [])]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture
def alertmanager(tmp_path, webhook):
    """A real Alertmanager on free ports (no clustering) routing every alert to the test webhook's /from-alertmanager."""
    if not ALERTMANAGER:
        pytest.skip("prometheus-alertmanager is not installed (scripts/test.sh installs Debian's package when run as root)")
    port, = free_ports(1)
    config = tmp_path / "alertmanager.yml"
    config.write_text(f"""
route:
  receiver: test
  group_by: ['alertname', 'group', 'topic']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: test
    webhook_configs:
      - url: '{webhook.url("/from-alertmanager")}'
        send_resolved: true
""")
    log = open(tmp_path / "alertmanager.log", "w")
    proc = subprocess.Popen([ALERTMANAGER, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
                             "--cluster.listen-address=", f"--storage.path={tmp_path / 'am-data'}"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def ready():
        if proc.poll() is not None:
            raise AssertionError(f"alertmanager exited with {proc.returncode}: {(tmp_path / 'alertmanager.log').read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        wait_for(ready, 20, 0.1, "alertmanager to be ready")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def rules_file(tmp_path, text):
    path = tmp_path / "alert-rules.yaml"
    path.write_text(text)
    return str(path)


def run_alert_list(apus, *extra):
    return subprocess.run([apus_bin(), "admin", "alertList", "-n", apus.namesrv, *extra], capture_output=True, text=True,
                          timeout=30)


def alert_list(apus, *extra):
    result = run_alert_list(apus, *extra)
    assert result.returncode == 0, f"alertList failed: {result.stderr}"
    return result.stdout


def start_apus(apus_factory, rules_path):
    """apus serve with the rules file, once its broker is registered with the name server (alertList finds it), so
    the first send finds the TBW102 route."""
    apus = apus_factory({"alertRulesFile": rules_path})
    wait_for(lambda: run_alert_list(apus).returncode == 0, 15, 0.1, "the broker to register with the name server")
    return apus


def labels_are(alert, rule, group, topic):
    labels = alert["labels"]
    return labels.get("alertname") == rule and labels.get("group") == group and labels.get("topic") == topic


def test_lag_alert_fires_and_resolves_through_webhook_and_alertmanager(apus_factory, spawn_consumer, names, tmp_path,
                                                                        webhook, alertmanager):
    topic, group = names.topic(), names.group()
    path = rules_file(tmp_path, f"""
webhook: {webhook.url("/direct")}
alertmanager: {alertmanager}
evaluationIntervalSeconds: 1
rules:
  - name: orders-lag
    group: {group}
    topic: {topic}
    maxDiff: 5
    forSeconds: 0
""")
    apus = start_apus(apus_factory, path)
    # The group's consumer registers, consumes, and stops: the broker holds its offsets.
    first = spawn_consumer(apus.namesrv, group, topic, "first")
    with producer(apus.namesrv, names.group("p")) as prod:
        warm_up(prod, topic, [first])
        first.stop(timeout=10)
        assert "orders-lag" in alert_list(apus)
        for i in range(10):
            assert prod.send_sync(message(topic, f"lag-{i}")).status == 0

    def firing(path):
        return [a for a in webhook.alerts(path, "firing") if labels_are(a, "orders-lag", group, topic)]

    direct = wait_for(lambda: firing("/direct"), 15, 0.1, "Apus's firing POST to the webhook")[0]
    assert int(direct["annotations"]["diff"]) >= 10 and "ageSeconds" in direct["annotations"]
    assert direct["status"] == "firing" and direct["startsAt"].endswith("Z")
    routed = wait_for(lambda: firing("/from-alertmanager"), 20, 0.1, "Alertmanager to route the alert to the webhook")[0]
    assert routed["labels"]["alertname"] == "orders-lag" and int(routed["annotations"]["diff"]) >= 10
    listed = alert_list(apus)
    assert "orders-lag" in listed and "firing" in listed, listed
    state = json.loads(alert_list(apus, "--json"))
    rule = next(iter(state.values()))["rules"][0]
    assert rule["alerts"][0]["state"] == "firing" and rule["alerts"][0]["since"] > 0
    # The same alert on the metrics endpoint.
    with urllib.request.urlopen(f"http://127.0.0.1:{apus.http_port}/metrics", timeout=5) as r:
        exposition = r.read().decode()
    series = f'apus_alert_firing{{group="{group}",rule="orders-lag",topic="{topic}"}} '
    assert [float(line[len(series):]) for line in exposition.splitlines() if line.startswith(series)] == [1.0], exposition

    # Drain the lag: resolved on both paths.
    second = spawn_consumer(apus.namesrv, group, topic, "second")
    wait_for(lambda: {f"lag-{i}" for i in range(10)} <= set(second.bodies()), 30, 0.1, "the lagging messages to be consumed")

    def resolved(path):
        return [a for a in webhook.alerts(path, "resolved") if labels_are(a, "orders-lag", group, topic)]

    wait_for(lambda: resolved("/direct"), 20, 0.1, "Apus's resolved POST to the webhook")
    wait_for(lambda: resolved("/from-alertmanager"), 20, 0.1, "Alertmanager to route the resolution to the webhook")
    assert "inactive" in alert_list(apus)


def test_rule_on_broadcasting_group_is_refused(apus_factory, spawn_consumer, names, tmp_path):
    topic, group = names.topic(), names.group()
    path = rules_file(tmp_path, f"""
evaluationIntervalSeconds: 1
rules:
  - name: broadcast-lag
    group: {group}
    topic: {topic}
    maxDiff: 0
""")
    apus = start_apus(apus_factory, path)
    consumer = spawn_consumer(apus.namesrv, group, topic, "b1", model="broadcasting")
    with producer(apus.namesrv, names.group("p")) as prod:
        warm_up(prod, topic, [consumer])
    wait_for(lambda: "accumulation alert rule refused" in apus.log_tail(400), 15, 0.1, "the refusal in the broker log")
    assert "BROADCASTING" in apus.log_tail(400)
    listed = alert_list(apus)
    assert "refused" in listed and "broadcast-lag" in listed and "BROADCASTING" in listed, listed


def test_delivery_is_retried_with_backoff_and_counted(apus_factory, names, tmp_path, webhook):
    topic, group = names.topic(), names.group()
    webhook.failures["/flaky"] = 2
    path = rules_file(tmp_path, f"""
webhook: {webhook.url("/flaky")}
evaluationIntervalSeconds: 1
rules:
  - {{name: any-message, group: {group}, topic: {topic}, maxDiff: 0}}
""")
    apus = start_apus(apus_factory, path)
    with producer(apus.namesrv, names.group("p")) as prod:
        assert prod.send_sync(message(topic, "never consumed")).status == 0
    # Two 503s, then the third attempt (after 0.5 s and 1 s of backoff) is accepted.
    wait_for(lambda: webhook.alerts("/flaky", "firing"), 20, 0.1, "the webhook POST to succeed on a retry")
    assert webhook.failures["/flaky"] == 0
    delivery = next(iter(json.loads(alert_list(apus, "--json")).values()))["delivery"]
    assert delivery == [{"delivered": 1, "dropped": 0, "failed": 0, "kind": "webhook", "retried": 2,
                         "url": webhook.url("/flaky")}], delivery
    assert "alert delivery failed; retrying" in apus.log_tail(200)
