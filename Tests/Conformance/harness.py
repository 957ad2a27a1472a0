# Harness for the conformance suite: a live `apus serve` process, consumer subprocesses,
# in-process producers, bounded polling (wait_for) and the warm-up barrier.
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from rocketmq.client import Message, Producer
from rocketmq.exceptions import ProducerSendSyncFailed
from rocketmq.ffi import dll

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CONSUMER_PROC = HERE / "consumer_proc.py"
WARMUP = "warmup-"


def apus_bin():
    return os.environ.get("APUS_BIN") or str(REPO / ".build" / "debug" / "apus")


def wait_for(predicate, timeout, interval=0.1, what="condition"):
    """Poll predicate until it returns a truthy value; raise AssertionError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def free_ports(n):
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def tail(path, lines=60):
    try:
        data = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(data[-lines:])


class ApusServer:
    """One `apus serve` (name server + broker) on free loopback ports with its own data dir."""

    START_TIMEOUT = 20
    STOP_TIMEOUT = 15

    def __init__(self, workdir, config=None):
        self.workdir = Path(workdir)
        self.data_dir = self.workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / "apus.log"
        self.namesrv_port, self.broker_port, self.http_port = free_ports(3)
        self.config_path = None
        if config:
            self.config_path = self.workdir / "broker.conf"
            self.config_path.write_text("".join(f"{k}={v}\n" for k, v in config.items()))
        self.proc = None

    @property
    def namesrv(self):
        return f"127.0.0.1:{self.namesrv_port}"

    @property
    def broker(self):
        return f"127.0.0.1:{self.broker_port}"

    def start(self):
        cmd = [apus_bin(), "serve", "--data-dir", str(self.data_dir),
               "--namesrv-port", str(self.namesrv_port), "--broker-port", str(self.broker_port),
               "--http-port", str(self.http_port), "--host", "127.0.0.1"]
        if self.config_path:
            cmd += ["--config", str(self.config_path)]
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(f"=== harness: starting {' '.join(cmd)}\n")
            log.flush()
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"apus exited with {self.proc.returncode} during start-up:\n"
                                     + tail(self.log_path))
            return port_open(self.namesrv_port) and port_open(self.broker_port) and self.registered()

        # Ports open is not enough: a client's first send needs the broker's routes (TBW102) on the name server.
        wait_for(up, self.START_TIMEOUT, 0.05, "apus to accept connections on both ports and register its broker")
        return self

    def registered(self):
        """True once the name server lists this broker (GET_BROKER_CLUSTER_INFO names its address)."""
        try:
            header, body = remoting_call(self.namesrv_port, GET_BROKER_CLUSTER_INFO)
        except (OSError, AssertionError, ValueError):
            return False
        return header.get("code") == 0 and f":{self.broker_port}".encode() in body

    def stop(self):
        """SIGTERM and wait; SIGKILL after STOP_TIMEOUT. Returns the exit code (None if never started)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(self.STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._note("did not exit within %ss of SIGTERM; killed" % self.STOP_TIMEOUT)
        return self.proc.returncode

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self._note("killed with SIGKILL")

    def restart(self):
        self.stop()
        return self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines=60):
        return tail(self.log_path, lines)

    def _note(self, text):
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(f"=== harness: {text}\n")


class ConsumerProc:
    """A push consumer in a subprocess (consumer_proc.py) writing JSON lines to its own file."""

    STOP_TIMEOUT = 30

    def __init__(self, workdir, namesrv, group, topic, instance, expression="*",
                 model="clustering", orderly=False, fail_first=0, fail_marker=None, fail_times=0,
                 hold_ms=0, props=(), env=None):
        self.name = instance
        self.out = Path(workdir) / f"consumer-{instance}.jsonl"
        self.err = Path(workdir) / f"consumer-{instance}.stderr"
        cmd = [sys.executable, str(CONSUMER_PROC), "--namesrv", namesrv, "--group", group,
               "--topic", topic, "--out", str(self.out), "--expression", expression,
               "--model", model, "--instance", instance]
        if orderly:
            cmd.append("--orderly")
        if fail_first:
            cmd += ["--fail-first", str(fail_first)]
        if fail_marker:
            cmd += ["--fail-marker", fail_marker]
        if fail_times:
            cmd += ["--fail-times", str(fail_times)]
        if hold_ms:
            cmd += ["--hold-ms", str(hold_ms)]
        if props:
            cmd += ["--props", ",".join(props)]
        self.out.touch()
        with open(self.err, "a", encoding="utf-8") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err,
                                         stderr=subprocess.STDOUT, env=env or os.environ.copy(),
                                         start_new_session=True)

    def records(self, include_warmup=False):
        result = []
        with open(self.out, encoding="utf-8") as f:
            for line in f:
                if not line.endswith("\n"):
                    break  # a line still being written
                r = json.loads(line)
                if include_warmup or not (r["body"] or "").startswith(WARMUP):
                    result.append(r)
        return result

    def bodies(self):
        return [r["body"] for r in self.records()]

    def warmup_records(self):
        return [r for r in self.records(include_warmup=True) if (r["body"] or "").startswith(WARMUP)]

    def alive(self):
        return self.proc.poll() is None

    def terminate(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout=None):
        """Wait for exit; SIGKILL after timeout (default STOP_TIMEOUT). Returns the exit code, None if killed."""
        try:
            return self.proc.wait(self.STOP_TIMEOUT if timeout is None else timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            with open(self.err, "a", encoding="utf-8") as err:
                err.write("=== harness: did not exit after SIGTERM; killed\n")
            return None

    def stop(self, timeout=None):
        self.terminate()
        return self.wait(timeout)

    def log_tail(self, lines=30):
        return tail(self.err, lines)

    def client_log(self):
        return client_log(self.proc.pid)

    def wait_queue_added(self, topic, timeout=30):
        """Wait until the client's rebalance took a queue of topic (its log line `add mq:MessageQueue
        [topic=T, …`); for %RETRY%{group} that is ~10 s after start (route refresh, then rebalance)."""
        needle = f"add mq:MessageQueue [topic={topic},"
        wait_for(lambda: needle in self.client_log(), timeout, 0.2,
                 f"consumer {self.name} to take a queue of {topic}")


def stop_all(consumers, timeout=ConsumerProc.STOP_TIMEOUT):
    """SIGTERM every consumer, then wait for all of them at most `timeout` seconds in total."""
    for c in consumers:
        c.terminate()
    deadline = time.monotonic() + timeout
    return [c.wait(max(0.0, deadline - time.monotonic())) for c in consumers]


def client_log_path(pid):
    """A process's C++ client log ($HOME/logs/rocketmq-cpp/{pid}_rocketmq-cpp.log.0, flushed per line)."""
    return Path(os.environ["HOME"]) / "logs" / "rocketmq-cpp" / f"{pid}_rocketmq-cpp.log.0"


def client_log(pid, start=0):
    """That log from byte `start` ("" while there is none)."""
    try:
        with open(client_log_path(pid), "rb") as f:
            f.seek(start)
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


class _Producer(Producer):
    def send_sync(self, msg, attempts=3):
        """Sent again (up to `attempts` in all) only when librocketmq failed on its own transport lock: the send
        failed with "No route info of this topic" and this process's client log shows CLIENT_LOCK_FAILURE during the
        attempt, so no request left the client (seen on a producer's first send, racing the client's route update)."""
        for attempt in range(attempts):
            log = client_log_path(os.getpid())
            start = log.stat().st_size if log.exists() else 0
            try:
                return super().send_sync(msg)
            except ProducerSendSyncFailed as error:
                if (attempt == attempts - 1 or "No route info" not in str(error)
                        or CLIENT_LOCK_FAILURE not in client_log(os.getpid(), start)):
                    raise
                time.sleep(0.1)


@contextmanager
def producer(namesrv, group, timeout_ms=5000):
    """A started rocketmq Producer with its own client instance (so its name server is its own); a sync send that
    librocketmq failed on its own transport lock is sent again (`_Producer.send_sync`)."""
    p = _Producer(group, timeout=timeout_ms)
    dll.SetProducerInstanceName(p._handle, f"{group}-{os.getpid()}".encode())
    p.set_namesrv_addr(namesrv)
    p.start()
    try:
        yield p
    finally:
        p.shutdown()


def message(topic, body, tags=None, keys=None, props=None, delay_level=0):
    m = Message(topic)
    m.set_body(body)
    if tags:
        m.set_tags(tags)
    if keys:
        m.set_keys(keys)
    for k, v in (props or {}).items():
        m.set_property(k, v)
    if delay_level:
        m.set_delay_time_level(delay_level)
    return m


# librocketmq 1.2.3 can fail to take its own transport-table lock (`std::timed_mutex::try_lock_for` with a 3 s limit
# has returned at once, logging "GetTransport of:… get timed_mutex timeout"); a failed message's send-back is then
# dropped without any request, so the broker never sees it and the message is never delivered again.
CLIENT_LOCK_FAILURE = "get timed_mutex timeout"
CLIENT_SEND_BACK_FAILURE = "[sendMessageBack:"


@contextmanager
def client_may_drop_send_back(*consumers):
    """Around a wait for redeliveries: when it times out and a consumer's own log shows the client dropping a
    send-back after failing to take its transport lock, the test is an expected failure citing those log lines
    (the client's defect: no request reached the broker); any other timeout fails as usual."""
    try:
        yield
    except AssertionError:
        for consumer in consumers:
            log = consumer.client_log()
            if CLIENT_LOCK_FAILURE in log and CLIENT_SEND_BACK_FAILURE in log:
                cited = [line for line in log.splitlines()
                         if CLIENT_LOCK_FAILURE in line or CLIENT_SEND_BACK_FAILURE in line]
                pytest.xfail("librocketmq dropped a send-back after failing to take its own transport lock: "
                             + " | ".join(cited[:2]))
        raise


def records_of(consumer, body):
    """Every delivery of `body` to consumer, in delivery order."""
    return [r for r in consumer.records(include_warmup=True) if r["body"] == body]


RETRY_WARMUP = WARMUP + "retry"


def warm_up_retry(prod, topic, consumer, timeout=45):
    """For a consumer spawned with fail_first=1 that has received nothing yet: send one message it
    fails once and wait until its retry was consumed, so the consumer's %RETRY%{group} queue is
    assigned and pulled (the C++ client finds the retry topic's route ~3 s after start and assigns
    its queue at the next 10 s rebalance)."""
    assert prod.send_sync(message(topic, RETRY_WARMUP)).status == 0
    wait_for(lambda: any(r["status"] == "ok" for r in records_of(consumer, RETRY_WARMUP)), timeout, 0.1,
             f"consumer {consumer.name} to consume its retry warm-up message again")


def send_sync_all(prod, topic, bodies, **kw):
    """Sync-send every body; returns the SendResults (each must be OK)."""
    results = []
    for b in bodies:
        r = prod.send_sync(message(topic, b, **kw))
        assert r.status == 0, f"send of {b!r} returned {r}"
        results.append(r)
    return results


class AsyncSends:
    """Collects async-send callbacks from C++ threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ok, self.errors, self.keep = [], [], []

    def send(self, prod, msg):
        self.keep.append(msg)  # keep the C message alive until its callback ran
        prod.send_async(msg, self._ok, self._err)

    def _ok(self, result):
        with self.lock:
            self.ok.append(result)

    def _err(self, exc):
        with self.lock:
            self.errors.append(repr(exc))

    def done(self, n):
        with self.lock:
            return len(self.ok) + len(self.errors) >= n


def warm_up(prod, topic, consumers, per_queue=False, exclusive=False, timeout=60, interval=0.2):
    """Send warm-up messages every `interval` until every consumer received one (per_queue: one on
    every queue any consumer has seen, after at least 8 warm-ups; exclusive: the group's assignment has
    settled — each of the 16 warm-ups before the last one sent, several rounds over the queues, reached
    exactly one consumer and every consumer got some of them). Returns the number sent."""
    sent = 0
    deadline = time.monotonic() + timeout
    while True:
        r = prod.send_sync(message(topic, f"{WARMUP}{sent}"))
        assert r.status == 0, f"warm-up send returned {r}"
        sent += 1
        seen = {c.name: {r["queue_id"] for r in c.warmup_records()} for c in consumers}
        if exclusive:  # the 16 warm-ups before the one just sent (which may still be in flight)
            recent = {f"{WARMUP}{i}" for i in range(max(0, sent - 17), sent - 1)}
            got = [[r["body"] for r in c.warmup_records() if r["body"] in recent] for c in consumers]
            counts = [sum(b in g for g in got) for b in recent]
            ready = sent >= 17 and all(n == 1 for n in counts) and all(got)
        elif per_queue:
            union = set().union(*seen.values())
            ready = sent >= 8 and all(s == union for s in seen.values())
        else:
            ready = all(seen.values())
        if ready:  # let any rebalance still in flight settle: one more warm-up must get through
            last = f"{WARMUP}{sent}"
            assert prod.send_sync(message(topic, last)).status == 0
            wait_for(lambda: any(r["body"] == last for c in consumers for r in c.warmup_records()),
                     10, what="the last warm-up message")
            return sent + 1
        for c in consumers:
            assert c.alive(), f"consumer {c.name} died during warm-up:\n{c.log_tail()}"
        if time.monotonic() >= deadline:
            raise AssertionError(f"warm-up barrier not reached in {timeout}s after {sent} messages; "
                                 f"queues seen per consumer: {seen}")
        time.sleep(interval)


def wait_until_received(consumers, expected, timeout=60):
    """Wait until the union of the consumers' bodies covers `expected`; fail naming what is missing."""
    expected = set(expected)
    deadline = time.monotonic() + timeout
    while True:
        got = set()
        for c in consumers:
            got.update(c.bodies())
        missing = expected - got
        if not missing:
            return
        for c in consumers:
            assert c.alive(), f"consumer {c.name} exited early (code {c.proc.returncode}):\n{c.log_tail()}"
        if time.monotonic() >= deadline:
            raise AssertionError(f"{len(missing)} of {len(expected)} messages not received in {timeout}s, "
                                 f"e.g. {[b[:40] for b in sorted(missing)[:5]]}")
        time.sleep(0.1)


# --- raw remoting requests (route / membership queries) and broker state on disk ---------------

def remoting_call(port, code, ext=None, body=b"", timeout=5):
    """One request on a fresh connection to 127.0.0.1:port; returns (response header dict, body bytes)."""
    header = json.dumps({"code": code, "language": "CPP", "version": 63, "opaque": 1, "flag": 0,
                         "remark": "", "extFields": ext or {}}).encode()
    frame = len(header).to_bytes(4, "big")
    frame = (4 + len(header) + len(body)).to_bytes(4, "big") + frame + header + body
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(frame)

        def exactly(n):
            data = b""
            while len(data) < n:
                chunk = s.recv(n - len(data))
                if not chunk:
                    raise AssertionError(f"connection closed after {len(data)} of {n} bytes")
                data += chunk
            return data

        length = int.from_bytes(exactly(4), "big")
        rest = exactly(length)
    header_len = int.from_bytes(rest[:4], "big") & 0xFFFFFF
    return json.loads(rest[4:4 + header_len]), rest[4 + header_len:]


GET_ROUTEINFO_BY_TOPIC, GET_CONSUMER_LIST_BY_GROUP, TOPIC_NOT_EXIST, GET_BROKER_CLUSTER_INFO = 105, 38, 17, 106


def route_code(server, topic):
    """Response code of the name server's route query for topic (0 = route exists, 17 = no topic)."""
    header, _ = remoting_call(server.namesrv_port, GET_ROUTEINFO_BY_TOPIC, {"topic": topic})
    return header["code"]


def consumer_ids(server, group):
    """The clientIds the broker lists for group (GET_CONSUMER_LIST_BY_GROUP), sorted like the client sorts."""
    header, body = remoting_call(server.broker_port, GET_CONSUMER_LIST_BY_GROUP, {"consumerGroup": group})
    if header["code"] != 0 or not body:
        return []
    return sorted(json.loads(body.decode("utf-8", "replace").rstrip("\x00\n")).get("consumerIdList", []))


def owner_of_single_queue(server, group, consumers):
    """The consumer that AllocateMessageQueueAveragely gives queue 0 of a 1-queue topic (e.g.
    %RETRY%{group}): the one whose clientId ({pid}-{ip}@{instance}) sorts first."""
    ids = consumer_ids(server, group)
    assert len(ids) == len(consumers), f"broker lists {ids} for {group}"
    first_pid = ids[0].split("-", 1)[0]
    return next(c for c in consumers if str(c.proc.pid) == first_pid)


def topics_on_disk(server):
    """Topic names in the broker's config/topics.json (empty if not written yet)."""
    path = server.data_dir / "config" / "topics.json"
    try:
        return set(json.loads(path.read_text(encoding="utf-8")).get("topicConfigTable", {}))
    except (OSError, ValueError):
        return set()  # absent, or caught mid-write: the caller polls


DEFAULT_DELAY_LEVELS = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"


def delay_seconds(table, level):
    """Seconds of delay level `level` (1-based; above the table's end = its last level)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    levels = table.split()
    item = levels[min(level, len(levels)) - 1]
    return int(item[:-1]) * units[item[-1]]
