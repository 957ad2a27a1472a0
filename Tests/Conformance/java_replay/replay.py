# Replays the Java 4.9.8 client's request frames (captures/java-4.9.8/<scenario>/) against a live
# apus and records the answers next to RocketMQ 4.9.8's answers from the same capture.
import json
import time

from java_replay.rmqwire import CAPTURES, FLAG_ONEWAY, Conn, load_frame, request

SCENARIOS = ["1-sync-send", "2-batch-send", "3-push-clustering-retry", "4-push-broadcasting",
             "5-push-orderly", "6-delay-level-2"]
PULL, SUSPEND = 11, 2


class Scenario:
    def __init__(self, name):
        self.name = name
        self.dir = CAPTURES / name
        self.entries = [json.loads(line) for line in (self.dir / "manifest.jsonl").read_text().splitlines()]
        self.by_seq = {e["seq"]: e for e in self.entries}
        self.answer_of = {e["request_seq"]: e["seq"] for e in self.entries if "request_seq" in e}

    def frame(self, seq):
        return load_frame(self.dir / self.by_seq[seq]["file"])

    def requests(self):
        return [e for e in self.entries if e["direction"] == "c2s"]

    def rocketmq_answer(self, seq):
        """RocketMQ's response to request `seq` and its latency (ms), or (None, None)."""
        a = self.answer_of.get(seq)
        return (self.frame(a), self.by_seq[a]["latency_ms"]) if a else (None, None)

    def server_requests(self):
        return [(e["seq"], self.frame(e["seq"])) for e in self.entries
                if e["direction"] == "s2c" and e["type"] != "response"]


class Step:
    """One replayed request: what was sent, apus's answer (None = no answer) and RocketMQ's."""

    def __init__(self, seq, conn, sent, rewritten, want, want_latency_ms):
        self.seq, self.conn, self.sent, self.rewritten = seq, conn, sent, rewritten
        self.want, self.want_latency_ms = want, want_latency_ms
        self.got = None
        self.extra = {}

    @property
    def held_in_capture(self):
        """RocketMQ parked this pull (long poll) or never answered it before the client closed."""
        return self.sent.code == PULL and (self.want is None or self.want_latency_ms > 1000)


class Transcript:
    def __init__(self, scenario):
        self.scenario = scenario
        self.steps = []
        self.server_requests = {}  # conn name -> [(time, Frame)]
        self.late_responses = {}   # conn name -> {opaque: [Frame]} (everything received)
        self.notes = {}

    def step(self, seq):
        return next(s for s in self.steps if s.seq == seq)


class Replayer:
    """Owns one apus server and replays scenarios against it in capture order (each scenario needs
    the data of the ones before it, as in the capture)."""

    def __init__(self, server):
        self.server = server
        self.done = {}
        self.hooks = {}  # (scenario, seq) -> fn(replayer, conn, step) run instead of the plain send
        self.after = {}  # (scenario, seq) -> fn(replayer, conns, step) run after the step

    def transcript(self, name):
        for n in SCENARIOS[:SCENARIOS.index(name) + 1]:
            if n not in self.done:
                self.done[n] = self._replay(Scenario(n))
        return self.done[name]

    def port(self, conn_name):
        return self.server.namesrv_port if conn_name.startswith("namesrv") else self.server.broker_port

    @staticmethod
    def _await_notify(scn, conn, step, notified, timeout=2.0):
        """After a new consumer's first heartbeat RocketMQ sends NOTIFY_CONSUMER_IDS_CHANGED (40) for
        its group on that connection (before the heartbeat response). Give apus up to `timeout`
        seconds for it, so that a fast replay does not unregister the client first."""
        groups = {g["groupName"] for g in json.loads(step.sent.body).get("consumerDataSet", [])}
        expected = {f.ext.get("consumerGroup") for seq, f in scn.server_requests()
                    if f.code == 40 and scn.by_seq[seq]["conn"] == step.conn}
        for group in (groups & expected) - notified:
            notified.add(group)
            deadline = time.monotonic() + timeout
            while not any(f.code == 40 and f.ext.get("consumerGroup") == group for _, f in conn.server_requests):
                if not conn._read_one(deadline):
                    break
            step.extra[f"notify_{group}"] = [t for t, f in conn.server_requests
                                             if f.code == 40 and f.ext.get("consumerGroup") == group]

    def _replay(self, scn):
        t = Transcript(scn)
        conns = {}
        notified = set()
        try:
            for e in scn.requests():
                if e["conn"] not in conns:
                    conns[e["conn"]] = Conn(self.port(e["conn"]))
                conn = conns[e["conn"]]
                sent = scn.frame(e["seq"])
                rewritten = []
                if sent.code == PULL and int(sent.ext.get("sysFlag", "0")) & SUSPEND:
                    # Do not let apus park the pull for 15 s: the same pull without the SUSPEND bit
                    # gets RocketMQ's post-hold answer at once (same code, remark and offsets).
                    sent.header["extFields"]["sysFlag"] = str(int(sent.ext["sysFlag"]) & ~SUSPEND)
                    rewritten.append("sysFlag: SUSPEND bit cleared")
                want, lat = scn.rocketmq_answer(e["seq"])
                step = Step(e["seq"], e["conn"], sent, rewritten, want, lat)
                t.steps.append(step)
                hook = self.hooks.get((scn.name, e["seq"]))
                if hook:
                    hook(self, conn, step)
                else:
                    conn.send(step.sent)
                    if not step.sent.is_oneway:
                        step.got = conn.wait_response(step.sent.opaque, timeout=5)
                if step.sent.code == 34:
                    self._await_notify(scn, conn, step, notified)
                after = self.after.get((scn.name, e["seq"]))
                if after:
                    after(self, conns, step)
            # Barrier: one more request per broker connection; anything the broker answers to the
            # one-way requests above is written before this answer (or very shortly after).
            for name, conn in conns.items():
                if name.startswith("broker"):
                    conn.call(request(30, {"topic": "TopicCap", "queueId": "0"}), timeout=5)
                conn.drain(0.3)
            for name, conn in conns.items():
                t.server_requests[name] = list(conn.server_requests)
                t.late_responses[name] = conn.responses
            for step in t.steps:
                if step.sent.is_oneway:
                    step.got = (t.late_responses[step.conn].get(step.sent.opaque) or [None])[0]
        finally:
            for conn in conns.values():
                conn.close()
        return t


def readback_pull(port, topic, queue_id, offset, group="CG_readback", subscription="*", max_nums=32):
    """A DefaultMQPullConsumer-style pull (the captured 6/#11 frame, sysFlag 4 = SUBSCRIPTION, no
    suspend) with topic, queue, offset, group and subscription rewritten."""
    f = load_frame(CAPTURES / "6-delay-level-2" / "011-c2s-11-PULL_MESSAGE.bin")
    f.header["extFields"].update(topic=topic, queueId=str(queue_id), queueOffset=str(offset),
                                 consumerGroup=group, subscription=subscription, maxMsgNums=str(max_nums))
    with Conn(port) as c:
        return c.call(f, timeout=5)


def route(port, topic):
    with Conn(port) as c:
        return c.call(request(105, {"topic": topic}), timeout=5)


def poll_pull(port, topic, queue_id, offset, timeout, **kw):
    """Pull until FOUND; returns (response, seconds waited). The last response if never FOUND."""
    start = time.monotonic()
    while True:
        r = readback_pull(port, topic, queue_id, offset, **kw)
        if (r is not None and r.code == 0) or time.monotonic() - start >= timeout:
            return r, time.monotonic() - start
        time.sleep(0.2)


__all__ = ["SCENARIOS", "Scenario", "Replayer", "Transcript", "readback_pull", "route", "poll_pull",
           "FLAG_ONEWAY"]
