# Mutation fuzzing of every request type apus handles, on both ports: valid frames (built here or
# taken from the Java 4.9.8 captures) with mutated header fields (wrong JSON types, huge values,
# empty, control characters in topic/group names), bodies, lengths, flags and serialize types.
# Seeded (APUS_FUZZ_SEED, printed) and bounded (APUS_FUZZ_SECONDS of sending, default 15, max 20).
# Afterwards: the process is alive and serves a real client's send + pull; no topic with an invalid
# name exists (topics.json, consume-queue directories, name-server routes); the log stays bounded.
import json
import os
import random
import re
import select
import socket
import struct
import time

from harness import producer, send_sync_all, wait_for
from java_replay.replay import readback_pull, route
from java_replay.rmqwire import CAPTURES, Conn, encode_batch, encode_frame, load_frame, request

SEED = int(os.environ.get("APUS_FUZZ_SEED", "20261130"))
SECONDS = min(float(os.environ.get("APUS_FUZZ_SECONDS", "15")), 20.0)
MAX_WARNING_LINES = 500
TOPIC_RULE = re.compile(r"^[%|a-zA-Z0-9_-]{1,127}$")  # RocketMQ TopicValidator
BROKER_CODES = [10, 310, 320, 11, 14, 15, 17, 29, 30, 31, 32, 34, 35, 36, 38, 41, 42]
NAMESRV_CODES = [105, 103, 104, 106, 206]
NAME_KEYS = {"topic", "b", "c", "defaultTopic", "consumerGroup", "group", "producerGroup", "a",
             "originTopic", "groupName"}
BAD_NAMES = ["%RETRY%\x01", "%RETRY%", "Fuzz\x00Topic", "Fuzz Topic", "Fuzz\nTopic", "Fuzz\tT",
             "F" * 128, "G" * 300, "", " ", "тема", "Fuzz/../x", "../../etc", "%DLQ%\x7f", "\u2028",
             "Fuzz*", "Fuzz\\", "Fuzz\"q", "%RETRY%%RETRY%x\x02"]
JUNK_VALUES = [None, True, False, 0, -1, 1.5, 2 ** 31, -2 ** 31 - 1, 2 ** 63, -2 ** 63, 10 ** 30,
               "", " ", "-1", "abc", "9" * 40, "2147483648", "-2147483649", "9223372036854775808",
               "1e9", "0x10", "NaN", "true", "null", [], [1, "x"], {}, {"a": {"b": []}},
               "x" * 5000, "\x00\x01\x02", "\ud7ff\ue000", "%RETRY%\x01"] + BAD_NAMES


if os.environ.get("APUS_FUZZ_EXCLUDE_OUT_OF_RANGE"):
    # Triage only: leave out integers beyond Int64, which crash apus-base, to see what else fails.
    _HUGE = {2 ** 63, -2 ** 63, 10 ** 30, "9" * 40, "9223372036854775808"}
    JUNK_VALUES = [v for v in JUNK_VALUES if not (type(v) in (int, str) and v in _HUGE)]


def is_valid_topic(name):
    return isinstance(name, str) and bool(TOPIC_RULE.match(name))


def templates(broker_addr):
    """(port kind, Frame) — one valid request per handled code."""
    cap = CAPTURES
    now = str(int(time.time() * 1000))
    props = "TAGS\x01FuzzTag\x02UNIQ_KEY\x01C0000202000000000000000000000001\x02WAIT\x01true\x02"
    t = []
    t.append(("broker", request(10, {"producerGroup": "FuzzPG", "topic": "FuzzTopic", "defaultTopic": "TBW102",
                                     "defaultTopicQueueNums": 4, "queueId": 0, "sysFlag": 0, "bornTimestamp": now,
                                     "flag": 0, "properties": props, "reconsumeTimes": "0", "unitMode": "0",
                                     "batch": "0"}, b"fuzz body", language="CPP", version=63)))
    f = load_frame(cap / "1-sync-send" / "007-c2s-310-SEND_MESSAGE_V2.bin")
    f.header["extFields"].update(b="FuzzTopic", a="FuzzPG")
    t.append(("broker", f))
    f = load_frame(cap / "2-batch-send" / "005-c2s-320-SEND_BATCH_MESSAGE.bin")
    f.header["extFields"].update(b="FuzzTopic", a="FuzzPG")
    f.body = encode_batch([(b"e%d" % i, f"TAGS\x01T{i}\x02UNIQ_KEY\x01C00002020000000000000000000000{i:02X}", 0)
                           for i in range(3)])
    t.append(("broker", f))
    f = load_frame(cap / "6-delay-level-2" / "011-c2s-11-PULL_MESSAGE.bin")
    f.header["extFields"].update(topic="FuzzTopic", consumerGroup="FuzzCG", queueId="0", subscription="*")
    t.append(("broker", f))
    for code, path in ((14, "3-push-clustering-retry/020-c2s-14-QUERY_CONSUMER_OFFSET.bin"),
                       (15, "3-push-clustering-retry/057-c2s-15-UPDATE_CONSUMER_OFFSET.bin"),
                       (34, "3-push-clustering-retry/011-c2s-34-HEART_BEAT.bin"),
                       (35, "3-push-clustering-retry/091-c2s-35-UNREGISTER_CLIENT.bin"),
                       (36, "3-push-clustering-retry/055-c2s-36-CONSUMER_SEND_MSG_BACK.bin"),
                       (38, "3-push-clustering-retry/015-c2s-38-GET_CONSUMER_LIST_BY_GROUP.bin"),
                       (41, "5-push-orderly/016-c2s-41-LOCK_BATCH_MQ.bin"),
                       (42, "5-push-orderly/071-c2s-42-UNLOCK_BATCH_MQ.bin")):
        f = load_frame(cap / path)
        assert f.code == code
        if code == 15:  # the captured frame is one-way; keep one-way and synchronous variants
            t.append(("broker", f.copy()))
            f.header["flag"] = 0
        t.append(("broker", f))
    t.append(("broker", request(17, {"topic": "FuzzCreated", "defaultTopic": "TBW102", "readQueueNums": "4",
                                     "writeQueueNums": "4", "perm": "6", "topicFilterType": "SINGLE_TAG",
                                     "topicSysFlag": "0", "order": "false"})))
    t.append(("broker", request(29, {"topic": "FuzzTopic", "queueId": "0", "timestamp": now})))
    for code in (30, 31, 32):
        t.append(("broker", request(code, {"topic": "FuzzTopic", "queueId": "0"})))
    t.append(("namesrv", request(105, {"topic": "FuzzTopic"})))
    reg_body = {"filterServerList": [], "topicConfigSerializeWrapper": {
        "dataVersion": {"counter": 1, "timestamp": int(now)},
        "topicConfigTable": {"FuzzRegTopic": {"order": False, "perm": 6, "readQueueNums": 4,
                                              "topicFilterType": "SINGLE_TAG", "topicName": "FuzzRegTopic",
                                              "topicSysFlag": 0, "writeQueueNums": 4}}}}
    t.append(("namesrv", request(103, {"brokerName": "fuzz-broker", "brokerAddr": "127.0.0.1:1",
                                       "clusterName": "FuzzCluster", "haServerAddr": "127.0.0.1:2",
                                       "brokerId": "0", "compressed": "false", "bodyCrc32": "0"},
                                 json.dumps(reg_body).encode())))
    t.append(("namesrv", request(104, {"brokerName": "fuzz-broker", "brokerAddr": "127.0.0.1:1",
                                       "clusterName": "FuzzCluster", "brokerId": "0"})))
    t.append(("namesrv", request(106)))
    t.append(("namesrv", request(206)))
    codes = {f.code for _, f in t}
    assert codes == set(BROKER_CODES) | set(NAMESRV_CODES), codes
    return t


class Fuzzer:
    def __init__(self, rng, port_of):
        self.rng = rng
        self.port_of = port_of
        self.conns = {}
        self.injected_names = set()
        self.sent = {}
        self.answered = {}
        self.kinds = {}
        self.reconnects = 0

    # -- mutations -------------------------------------------------------------------------------

    def junk(self):
        v = self.rng.choice(JUNK_VALUES)
        if isinstance(v, str) and v in BAD_NAMES:
            self.injected_names.add(v)
        return v

    def bad_name(self):
        v = self.rng.choice(BAD_NAMES + ["%RETRY%\x01"] * 3)
        self.injected_names.add(v)
        return v

    def mutate_json(self, obj, depth=0):
        """Replace / delete one value somewhere inside a JSON document."""
        if isinstance(obj, dict) and obj:
            k = self.rng.choice(list(obj))
            r = self.rng.random()
            if k in NAME_KEYS and r < 0.5:
                obj[k] = self.bad_name()
            elif r < 0.6 and depth < 4 and isinstance(obj[k], (dict, list)):
                self.mutate_json(obj[k], depth + 1)
            elif r < 0.75:
                del obj[k]
            else:
                obj[k] = self.junk()
        elif isinstance(obj, list) and obj:
            i = self.rng.randrange(len(obj))
            if isinstance(obj[i], (dict, list)) and self.rng.random() < 0.7:
                self.mutate_json(obj[i], depth + 1)
            else:
                obj[i] = self.junk()
        return obj

    def mutate_body(self, body):
        rng = self.rng
        if body[:1] in (b"{", b"[") and rng.random() < 0.6:
            try:
                return json.dumps(self.mutate_json(json.loads(body))).encode()
            except ValueError:
                pass
        choice = rng.randrange(5)
        if choice == 0:
            return body[:rng.randrange(len(body) + 1)]
        if choice == 1:
            b = bytearray(body)
            for _ in range(rng.randint(1, 8)):
                if b:
                    b[rng.randrange(len(b))] = rng.randrange(256)
            return bytes(b)
        if choice == 2:
            return body + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
        if choice == 3:
            return b""
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))

    def mutate(self, frame):
        """Returns (bytes to send, kind, needs a fresh connection)."""
        rng = self.rng
        f = frame.copy()
        f.header["opaque"] = rng.randrange(1, 2 ** 31)
        kind = rng.choices(["ext", "ext-name", "header", "body", "framing", "valid"], [30, 20, 15, 15, 12, 8])[0]
        if kind == "ext":
            ext = f.header.setdefault("extFields", {})
            for _ in range(rng.randint(1, 3)):
                if ext and rng.random() < 0.85:
                    k = rng.choice(list(ext))
                    if rng.random() < 0.15:
                        del ext[k]
                    else:
                        ext[k] = self.junk()
                else:
                    ext[f"fuzz{rng.randrange(100)}"] = self.junk()
        elif kind == "ext-name":
            ext = f.header.setdefault("extFields", {})
            keys = [k for k in ext if k in NAME_KEYS]
            if keys:
                ext[rng.choice(keys)] = self.bad_name()
            elif f.body[:1] == b"{":
                doc = json.loads(f.body)
                self._inject_names(doc)
                f.body = json.dumps(doc).encode()
        elif kind == "header":
            key = rng.choice(["code", "opaque", "flag", "version", "language", "remark", "extFields",
                              "serializeTypeCurrentRPC", "flag", "flag"])
            if key == "flag":
                f.header["flag"] = rng.choice([1, 2, 3, 4, 255, -1, 2 ** 31, "2", None])
            else:
                f.header[key] = self.junk()
        elif kind == "body":
            f.body = self.mutate_body(f.body or b"{}")
        if kind != "framing":
            header = json.dumps(f.header).encode()
            return encode_frame(header, f.body), kind, False
        return self.break_framing(f), kind, True

    def _inject_names(self, doc):
        if isinstance(doc, dict):
            for k in doc:
                if k in NAME_KEYS and isinstance(doc[k], str) and self.rng.random() < 0.7:
                    doc[k] = self.bad_name()
                else:
                    self._inject_names(doc[k])
        elif isinstance(doc, list):
            for x in doc:
                self._inject_names(x)

    def break_framing(self, f):
        rng = self.rng
        header = json.dumps(f.header).encode()
        body = f.body
        choice = rng.randrange(7)
        if choice == 0:   # length shorter than the header
            return struct.pack(">II", rng.randrange(0, 4 + len(header)), len(header)) + header + body
        if choice == 1:   # header length beyond the frame
            return struct.pack(">II", 4 + len(header) + len(body), len(header) + rng.randint(1, 10 ** 6)) + header + body
        if choice == 2:   # serialize type ROCKETMQ (1) or unknown, JSON content
            return struct.pack(">II", 4 + len(header) + len(body), (rng.choice([1, 2, 0x7F, 0xFF]) << 24)
                               | len(header)) + header + body
        if choice == 3:   # truncated frame, then the connection closes
            data = encode_frame(header, body)
            return data[:rng.randrange(1, len(data))]
        if choice == 4:   # huge announced length
            return struct.pack(">II", rng.choice([2 ** 31 - 1, 2 ** 32 - 1, 17 * 2 ** 20]), len(header)) + header
        if choice == 5:   # zero header length
            return struct.pack(">II", 4 + len(body), 0) + body
        # not JSON at all in the header
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))
        return struct.pack(">II", 4 + len(junk), len(junk)) + junk

    # -- sending ---------------------------------------------------------------------------------

    def conn(self, kind):
        c = self.conns.get(kind)
        if c is None or c.closed:
            if c is not None:
                c.close()
                self.reconnects += 1
            c = Conn(self.port_of[kind])
            self.conns[kind] = c
        return c

    def drain(self, c):
        while not c.closed and select.select([c.sock], [], [], 0)[0]:
            try:
                if not c._read_one(time.monotonic() + 0.05):
                    break
            except (AssertionError, ValueError):  # a frame we cannot parse: drop the connection
                c.closed = True

    def send(self, port_kind, frame):
        data, kind, fresh = self.mutate(frame)
        self.sent[frame.code] = self.sent.get(frame.code, 0) + 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if fresh:
            try:
                with socket.create_connection(("127.0.0.1", self.port_of[port_kind]), timeout=2) as s:
                    s.sendall(data)
            except OSError:
                pass
            return
        c = self.conn(port_kind)
        try:
            c.sock.sendall(data)
        except OSError:
            c.closed = True
            return
        self.drain(c)

    def close(self):
        for c in self.conns.values():
            self.drain(c)
            for frames in c.responses.values():
                for fr in frames:
                    self.answered[fr.code] = self.answered.get(fr.code, 0) + 1
            c.close()


def warning_lines(log_text):
    return [line for line in log_text.splitlines()
            if re.match(r"^\S+ (warning|error|critical) ", line)]


def test_mutation_fuzz(apus, names):
    rng = random.Random(SEED)
    print(f"\nfuzz seed {SEED} (set APUS_FUZZ_SEED to replay), {SECONDS:.0f} s of sending")
    port_of = {"broker": apus.broker_port, "namesrv": apus.namesrv_port}
    tpl = templates(apus.broker)
    fz = Fuzzer(rng, port_of)
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < SECONDS:
        kind, frame = rng.choice(tpl)
        fz.send(kind, frame)
        n += 1
        if n % 200 == 0:
            assert apus.alive(), f"apus died after {n} fuzz frames (seed {SEED}):\n{apus.log_tail(40)}"
    fz.close()
    elapsed = time.monotonic() - start
    print(f"sent {n} frames in {elapsed:.1f} s; per code {dict(sorted(fz.sent.items()))}; "
          f"mutation kinds {fz.kinds}; reconnects {fz.reconnects}")
    assert apus.alive(), f"apus died (seed {SEED}):\n{apus.log_tail(40)}"

    problems = []
    # 1. A real client still gets a send + pull round trip.
    topic = names.topic()
    with producer(apus.namesrv, names.group("p")) as p:
        results = send_sync_all(p, topic, ["after-fuzz"])
    found = []

    def pulled():
        for qid in range(16):
            r = readback_pull(apus.broker_port, topic, qid, 0, group=names.group("c"))
            if r is not None and r.code == 0:
                found.append(qid)
                return True
        return False
    wait_for(pulled, 10, 0.2, "the post-fuzz message to be pullable")
    assert results and found

    # 2. No topic with an invalid name exists anywhere.
    topics_json = apus.data_dir / "config" / "topics.json"
    if topics_json.exists():
        table = json.loads(topics_json.read_text()).get("topicConfigTable", {})
        bad = [t for t in table if not is_valid_topic(t)]
        if bad:
            problems.append(f"topics.json has {len(bad)} invalid topic names, e.g. {[t for t in bad[:8]]}")
    cq = apus.data_dir / "consumequeue"
    if cq.exists():
        bad = [d.name for d in cq.iterdir() if not is_valid_topic(d.name)]
        if bad:
            problems.append(f"consume-queue directories with invalid topic names: {bad[:8]}")
    derived = {p + n for n in fz.injected_names | {"\x01"} for p in ("", "%RETRY%", "%DLQ%")}
    checked = sorted(n for n in derived if not is_valid_topic(n))
    routed = []
    for name in checked:
        r = route(apus.namesrv_port, name)
        if r is not None and r.code == 0:
            routed.append(name)
    if routed:
        problems.append(f"name server has routes for invalid topic names: {routed[:8]}")

    # 3. The log stays bounded.
    log = apus.log_path.read_text(encoding="utf-8", errors="replace")
    warnings = warning_lines(log)
    kinds = {}
    for line in warnings:
        key = re.sub(r"\d+", "N", line.split(" ", 3)[-1])[:90]
        kinds[key] = kinds.get(key, 0) + 1
    top = sorted(kinds.items(), key=lambda kv: -kv[1])[:5]
    print(f"log: {len(log.splitlines())} lines, {len(warnings)} warning/error lines; most frequent: {top}")
    if len(warnings) >= MAX_WARNING_LINES:
        problems.append(f"{len(warnings)} warning/error log lines for {n} fuzz frames (limit "
                        f"{MAX_WARNING_LINES}; repeats must be rate-limited); most frequent: {top}")
    assert not problems, f"seed {SEED}:\n" + "\n".join(problems)
