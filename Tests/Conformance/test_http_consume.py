# Conformance: the ApsaraMQ HTTP API's consumption side (ConsumeMessage, orderly consume, AckMessage) with the real
# Python SDK (mq-http-sdk==1.0.3) against `apus serve --http-port`: fields intact (tag, key, properties, XML-hostile
# and non-ASCII bodies), MessageNotExist after the wait and early wake-up of a long poll, redelivery after the
# invisibility time with a new handle and ConsumedTimes 2 (the old handle refused), two consumers of one group
# splitting the messages, orderly blocking per sharding key, timer messages, the `A||B` tag filter, TCP-produced
# messages read over HTTP (C++ client), signatures with aclEnable and permissions from plain_acl.yml, a kill -9
# with messages in flight, the protocol difference of a group shared by HTTP and TCP consumers, and the flows of the
# SDK's producer / consumer / order_producer / order_consumer samples.
import hashlib
import subprocess
import sys
import threading
import time

import pytest
from mq_http_sdk.mq_client import MQClient
from mq_http_sdk.mq_exception import MQExceptionBase
from mq_http_sdk.mq_producer import TopicMessage

from harness import message, port_open, producer, wait_for
from test_admin_cli import admin, admin_json

EARLY = 0.02  # seconds: millisecond rounding
BODY = 'xml <&> "quoted" \'single\' ]]> 中文 ünïcødé ✓ end'


def endpoint(server):
    return f"http://127.0.0.1:{server.http_port}"


def client(server, access_id="AK", secret="SK"):
    wait_for(lambda: port_open(server.http_port), 10, 0.05, "the HTTP port")
    return MQClient(endpoint(server), access_id, secret)


def poll(consumer, batch=16, wait=1, orderly=False):
    """One consume: the messages, or [] on MessageNotExist."""
    try:
        if orderly:
            return consumer.consume_message_orderly(batch, wait)
        return consumer.consume_message(batch, wait)
    except MQExceptionBase as e:
        if e.type == "MessageNotExist":
            return []
        raise


def drain(consumer, expected, timeout=60, ack=True, orderly=False, batch=16):
    """Consume (acking each batch) until `expected` messages arrived or the deadline; returns them in order."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < expected and time.monotonic() < deadline:
        msgs = poll(consumer, batch, 2, orderly)
        got.extend(msgs)
        if msgs and ack:
            consumer.ack_message([m.receipt_handle for m in msgs])
    return got


def md5(text):
    return hashlib.md5(text.encode()).hexdigest().upper()


def test_publish_consume_ack_fields_intact(apus, names):
    topic, group = names.topic(), names.group()
    mq = client(apus)
    prod, cons = mq.get_producer("", topic), mq.get_consumer("", topic, group)
    msg = TopicMessage(BODY, "TagA")
    msg.set_message_key("order-7")
    msg.put_property("color", "blue")
    msg.set_sharding_key("shard-1")
    before = int(time.time() * 1000)
    published = prod.publish_message(msg)
    [got] = drain(cons, 1, ack=False)
    assert got.message_id == published.message_id
    assert got.message_body == BODY and got.message_body_md5 == md5(BODY) == published.message_body_md5
    assert got.message_tag == "TagA" and got.get_message_key() == "order-7"
    assert got.get_property("color") == "blue" and got.get_sharding_key() == "shard-1"
    assert set(got.properties) == {"KEYS", "color", "__SHARDINGKEY"}, got.properties
    assert got.consumed_times == 1 and got.receipt_handle
    assert before - 1000 <= got.publish_time <= got.first_consume_time < got.next_consume_time
    assert got.next_consume_time - got.first_consume_time == pytest.approx(300_000, abs=2000)
    cons.ack_message([got.receipt_handle])
    assert poll(cons, wait=1) == [], "an acked message is not delivered again"
    # A second use of the handle fails per handle.
    with pytest.raises(MQExceptionBase) as again:
        cons.ack_message([got.receipt_handle])
    assert again.value.type == "ReceiptHandleError"
    assert again.value.sub_errors[0]["ReceiptHandle"] == got.receipt_handle


def test_empty_poll_waits_then_long_poll_wakes_on_publish(apus, names):
    topic, group = names.topic(), names.group()
    mq = client(apus)
    cons = mq.get_consumer("", topic, group)
    start = time.monotonic()
    with pytest.raises(MQExceptionBase) as empty:
        cons.consume_message(1, 2)
    assert empty.value.type == "MessageNotExist"
    assert time.monotonic() - start >= 2 - EARLY, "the poll is held for its wait time"

    result = {}

    def long_poll():
        t0 = time.monotonic()
        result["msgs"] = poll(cons, 1, 30)
        result["took"] = time.monotonic() - t0

    t = threading.Thread(target=long_poll)
    t.start()
    time.sleep(1)
    client(apus).get_producer("", topic).publish_message(TopicMessage("wake-up", "T"))  # its own connection
    t.join(60)
    assert [m.message_body for m in result["msgs"]] == ["wake-up"]
    assert result["took"] < 20, f"the long poll returned after {result['took']:.1f}s, not when the message arrived"


def test_unacked_message_comes_back_with_a_new_handle(apus_factory, names):
    server = apus_factory({"httpConsumeInvisibleTimeSeconds": "4"})
    topic, group = names.topic(), names.group()
    mq = client(server)
    prod = mq.get_producer("", topic)
    prod.publish_message(TopicMessage("redeliver-me", "T"))
    cons = mq.get_consumer("", topic, group)
    [first] = drain(cons, 1, ack=False)
    assert first.consumed_times == 1
    assert first.next_consume_time - first.first_consume_time == pytest.approx(4000, abs=500)
    second = wait_for(lambda: poll(cons, 1, 5), 30, 0, "the redelivery")[0]
    assert time.time() * 1000 >= first.next_consume_time - EARLY * 1000
    assert second.message_id == first.message_id and second.message_body == "redeliver-me"
    assert second.consumed_times == 2 and second.first_consume_time == first.first_consume_time
    assert second.receipt_handle != first.receipt_handle
    with pytest.raises(MQExceptionBase) as stale:
        cons.ack_message([first.receipt_handle])
    assert stale.value.type == "ReceiptHandleError"
    cons.ack_message([second.receipt_handle])
    assert poll(cons, wait=5) == []
    # A handle whose NextConsumeTime passed (not redelivered yet) fails with MessageNotExist; the valid handle in
    # the same ack is still acked.
    prod.publish_message(TopicMessage("late-1", "T"))
    [late] = drain(cons, 1, ack=False)
    time.sleep(2)
    prod.publish_message(TopicMessage("late-2", "T"))
    [valid] = drain(cons, 1, ack=False)
    assert valid.message_body == "late-2"
    time.sleep(max(0.0, late.next_consume_time / 1000 + 0.3 - time.time()))
    with pytest.raises(MQExceptionBase) as partial:
        cons.ack_message([late.receipt_handle, valid.receipt_handle])
    assert [(e["ErrorCode"], e["ReceiptHandle"]) for e in partial.value.sub_errors] == \
        [("MessageNotExist", late.receipt_handle)]
    redelivered = wait_for(lambda: poll(cons, 16, 5), 30, 0, "late-1 again")
    assert [m.message_body for m in redelivered] == ["late-1"], "late-2 was acked in the partial ack"


def test_two_consumers_of_one_group_split_without_duplicates(apus, names):
    topic, group = names.topic(), names.group()
    mq = client(apus)
    prod = mq.get_producer("", topic)
    bodies = [f"split-{i}" for i in range(40)]
    for b in bodies:
        prod.publish_message(TopicMessage(b, "T"))
    seen = {"a": [], "b": []}
    lock = threading.Lock()

    def run(name):
        cons = client(apus).get_consumer("", topic, group)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with lock:
                if len(seen["a"]) + len(seen["b"]) >= len(bodies):
                    return
            msgs = poll(cons, 3, 1)
            if msgs:
                with lock:
                    seen[name].extend(m.message_body for m in msgs)
                time.sleep(0.05)
                cons.ack_message([m.receipt_handle for m in msgs])

    threads = [threading.Thread(target=run, args=(n,)) for n in seen]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    everything = seen["a"] + seen["b"]
    assert sorted(everything) == sorted(bodies), "every message once, none twice"
    assert seen["a"] and seen["b"], "both consumers received some of the messages"


def test_orderly_per_sharding_key_blocks_until_acked(apus_factory, names):
    server = apus_factory({"httpConsumeOrderlyInvisibleTimeSeconds": "3"})
    topic, group = names.topic(), names.group()
    mq = client(server)
    prod = mq.get_producer("", topic)
    for i in range(8):
        m = TopicMessage(f"ord-{i}", "")
        m.set_sharding_key(str(i % 2))
        m.put_property("a", str(i))
        prod.publish_message(m)
    cons = mq.get_consumer("", topic, group)
    # One message of a key is held: nothing more of that key comes until it is acked.
    [head] = wait_for(lambda: poll(cons, 1, 2, orderly=True), 30, 0, "the first orderly message")
    key = head.get_sharding_key()
    assert head.message_body == f"ord-{key}", "a key's first message comes first"
    others = poll(cons, 16, 1, orderly=True)
    assert all(m.get_sharding_key() != key for m in others), "a blocked key delivered more"
    # Not acked: after NextConsumeTime the same messages come again, in order, before anything newer.
    again = wait_for(lambda: poll(cons, 16, 5, orderly=True), 30, 0, "the redelivery")
    mine = [m for m in again if m.get_sharding_key() == key]
    assert mine and mine[0].message_body == head.message_body and mine[0].consumed_times == 2
    cons.ack_message([m.receipt_handle for m in again])
    # Drain the rest: each key's messages strictly in publish order, all acked.
    rest = drain(cons, 8, orderly=True, batch=3)
    order = {}
    for m in [head] + again + rest:
        order.setdefault(m.get_sharding_key(), [])
        if m.message_body not in order[m.get_sharding_key()]:
            order[m.get_sharding_key()].append(m.message_body)
    assert order == {"0": [f"ord-{i}" for i in (0, 2, 4, 6)], "1": [f"ord-{i}" for i in (1, 3, 5, 7)]}
    for m in rest:
        assert m.get_property("a") == m.message_body.split("-")[1]


def test_timer_message_not_before_its_time(apus, names):
    topic, group = names.topic(), names.group()
    mq = client(apus)
    prod, cons = mq.get_producer("", topic), mq.get_consumer("", topic, group)
    due_ms = int(time.time() * 1000) + 3000
    timer = TopicMessage("timer-http", "T")
    timer.set_start_deliver_time(due_ms)
    prod.publish_message(timer)
    prod.publish_message(TopicMessage("timer-control", "T"))
    received = {}
    deadline = time.monotonic() + 30
    while "timer-http" not in received and time.monotonic() < deadline:
        for m in poll(cons, 16, 5):
            received[m.message_body] = (time.time(), m)
            cons.ack_message([m.receipt_handle])
    assert set(received) == {"timer-http", "timer-control"}
    at, got = received["timer-http"]
    assert at >= due_ms / 1000 - EARLY, "the timer message came before its start-deliver time"
    assert received["timer-control"][0] < at
    assert got.get_start_deliver_time() == due_ms


def test_tag_filter_or_list(apus, names):
    topic, group = names.topic(), names.group()
    mq = client(apus)
    prod = mq.get_producer("", topic)
    for tag in ("TagA", "TagB", "TagC", "TagA"):
        prod.publish_message(TopicMessage(f"tagged-{tag}", tag))
    cons = mq.get_consumer("", topic, group, "TagA||TagB")
    got = drain(cons, 3)
    assert sorted(m.message_body for m in got) == ["tagged-TagA", "tagged-TagA", "tagged-TagB"]
    assert poll(cons, 16, 2) == [], "TagC is filtered out"


def test_tcp_produced_messages_reach_http_consumer_intact(apus, names):
    topic, group = names.topic(), names.group()
    big = ("large body 中文 " * 800)[:9000]  # beyond the C++ client's 4 KB compression threshold
    sent = {}
    with producer(apus.namesrv, names.group("p")) as p:
        for body, tag, key in ((BODY, "TagX", "k-1"), (big, "TagY", "k-2")):
            m = message(topic, body, tags=tag, keys=key, props={"color": "red", "n": "1"})
            r = p.send_sync(m)
            assert r.status == 0
            sent[body] = (r.msg_id, tag, key)
    cons = client(apus).get_consumer("", topic, group)
    got = drain(cons, 2)
    assert sorted(m.message_body for m in got) == sorted(sent)
    for m in got:
        msg_id, tag, key = sent[m.message_body]
        assert m.message_id == msg_id, "the HTTP MessageId is the producer's message id"
        assert m.message_tag == tag and m.get_message_key() == key
        assert m.get_property("color") == "red" and m.get_property("n") == "1"
        assert m.message_body_md5 == md5(m.message_body)
        assert "UNIQ_KEY" not in m.properties and "TAGS" not in m.properties


PLAIN_ACL = """\
globalWhiteRemoteAddresses: []
accounts:
  - accessKey: ADMIN_AK
    secretKey: ADMIN_SK
    admin: true
  - accessKey: PUB_AK
    secretKey: PUB_SK
    admin: false
    defaultTopicPerm: PUB
    defaultGroupPerm: SUB
"""


def test_signatures_and_permissions_with_acl(apus_factory, names, tmp_path):
    acl = tmp_path / "plain_acl.yml"
    acl.write_text(PLAIN_ACL)
    server = apus_factory({"aclEnable": "true", "aclFile": str(acl)})
    topic, group = names.topic(), names.group()
    admin = client(server, "ADMIN_AK", "ADMIN_SK")
    admin.get_producer("", topic).publish_message(TopicMessage("signed", "T"))
    cons = admin.get_consumer("", topic, group)
    [m] = drain(cons, 1, ack=False)
    with pytest.raises(MQExceptionBase) as wrong:
        client(server, "ADMIN_AK", "nope").get_consumer("", topic, group).ack_message([m.receipt_handle])
    assert wrong.value.type == "SignatureDoesNotMatch"
    with pytest.raises(MQExceptionBase) as wrong_consume:
        client(server, "ADMIN_AK", "nope").get_consumer("", topic, group).consume_message(1, 1)
    assert wrong_consume.value.type == "SignatureDoesNotMatch"
    with pytest.raises(MQExceptionBase) as denied:
        client(server, "PUB_AK", "PUB_SK").get_consumer("", topic, group).consume_message(1, 1)
    assert denied.value.type == "AccessDenied"
    cons.ack_message([m.receipt_handle])
    # Without ACL any credentials consume.
    plain = client(apus_factory(), "whoever", "whatever")
    plain.get_producer("", topic).publish_message(TopicMessage("unsigned", "T"))
    assert [x.message_body for x in drain(plain.get_consumer("", topic, group), 1)] == ["unsigned"]


def test_instance_scoping(apus, names):
    topic, group = names.topic(), names.group()
    mq = client(apus)
    mq.get_producer("MQ_INST_1", topic).publish_message(TopicMessage("in-inst-1", "T"))
    mq.get_producer("", topic).publish_message(TopicMessage("in-default", "T"))
    assert [m.message_body for m in drain(mq.get_consumer("MQ_INST_1", topic, group), 1)] == ["in-inst-1"]
    assert [m.message_body for m in drain(mq.get_consumer("", topic, group), 1)] == ["in-default"]
    assert poll(mq.get_consumer("MQ_INST_2", topic, group), wait=1) == []


def test_kill9_with_messages_in_flight(apus_factory, names):
    server = apus_factory({"httpConsumeInvisibleTimeSeconds": "3"})
    topic, group = names.topic(), names.group()
    mq = client(server)
    prod = mq.get_producer("", topic)
    bodies = [f"crash-{i}" for i in range(12)]
    for b in bodies:
        prod.publish_message(TopicMessage(b, "T"))
    cons = mq.get_consumer("", topic, group)
    delivered = drain(cons, len(bodies), ack=False)
    assert sorted(m.message_body for m in delivered) == sorted(bodies)
    acked = {m.message_body for m in delivered[::2]}
    cons.ack_message([m.receipt_handle for m in delivered[::2]])
    server.kill9()
    server.start()
    cons = client(server).get_consumer("", topic, group)
    again = {}
    deadline = time.monotonic() + 60
    while len(again) < len(bodies) - len(acked) and time.monotonic() < deadline:
        for m in poll(cons, 16, 5):
            again[m.message_body] = m
            cons.ack_message([m.receipt_handle])
    assert set(again) == set(bodies) - acked, "nothing unacked lost, nothing acked redelivered"
    assert all(m.consumed_times == 2 for m in again.values()), "in-flight state (ConsumedTimes) survived"
    time.sleep(3.5)
    assert poll(cons, 16, 2) == []


def test_clean_shutdown_answers_held_long_polls(apus, names):
    cons = client(apus).get_consumer("", names.topic(), names.group())
    result = {}

    def long_poll():
        t0 = time.monotonic()
        result["msgs"] = poll(cons, 1, 30)
        result["took"] = time.monotonic() - t0

    t = threading.Thread(target=long_poll)
    t.start()
    time.sleep(1.5)  # the poll is held
    started = time.monotonic()
    assert apus.stop() == 0
    assert time.monotonic() - started < 10, "SIGTERM does not wait for the rest of a 30 s long poll"
    t.join(30)
    assert result["msgs"] == [] and result["took"] < 15, result


def test_group_shared_with_tcp_consumer_is_reported(apus, names, spawn_consumer):
    topic, group = names.topic(), names.group()
    mq = client(apus)
    mq.get_producer("", topic).publish_message(TopicMessage("shared", "T"))
    spawn_consumer(apus.namesrv, group, topic, "tcp1")
    poll(mq.get_consumer("", topic, group), 1, 0)

    def verdict():
        try:
            data = admin_json("consumerConnection", "-n", apus.namesrv, "-g", group)
        except (AssertionError, ValueError, subprocess.CalledProcessError):
            return None
        aspects = {d["aspect"]: d for d in data["apusSubscriptionVerdict"]["differences"]}
        return aspects.get("protocol")

    diff = wait_for(verdict, 30, 0.5, "the protocol difference in the group's verdict")
    values = sorted(v["value"] for v in diff["variants"])
    assert "http" in values and len(values) == 2, diff


# --- the SDK samples' flows (producer, consumer, order_producer, order_consumer) ------------------------------
# mq-http-sdk 1.0.3 installs no samples, so these scripts follow aliyunmq/mq-http-samples/python step by step with
# the placeholders filled in: the producer publishes 4 messages (even ones with property and key, odd ones timed
# 5 s ahead, 1 s apart); the consumer long-polls batches of 3 with a 3 s wait and acks each batch, forever; the
# order producer publishes 8 messages over sharding keys "0" and "1"; the order consumer polls orderly batches of 3.

SAMPLE_PRODUCER = """
import sys, time
from mq_http_sdk.mq_exception import MQExceptionBase
from mq_http_sdk.mq_producer import TopicMessage
from mq_http_sdk.mq_client import MQClient
producer = MQClient(ENDPOINT, "ak", "sk").get_producer(INSTANCE, TOPIC)
try:
    for i in range(4):
        if i % 2 == 0:
            msg = TopicMessage("I am test message %s.你好" % i, "")
            msg.put_property("a", "i")
            msg.set_message_key("MessageKey")
            r = producer.publish_message(msg)
            print("Publish Message Succeed. MessageID:%s, BodyMD5:%s" % (r.message_id, r.message_body_md5))
        else:
            msg = TopicMessage("I am test message %s." % i, "")
            msg.put_property("a", i)
            msg.set_start_deliver_time(int(round(time.time() * 1000)) + 5 * 1000)
            r = producer.publish_message(msg)
            print("Publish Timer Message Succeed. MessageID:%s, BodyMD5:%s" % (r.message_id, r.message_body_md5))
        time.sleep(1)
except MQExceptionBase as e:
    print("Publish Message Fail. Exception:%s" % e)
    sys.exit(1)
"""

SAMPLE_ORDER_PRODUCER = """
import sys
from mq_http_sdk.mq_exception import MQExceptionBase
from mq_http_sdk.mq_producer import TopicMessage
from mq_http_sdk.mq_client import MQClient
producer = MQClient(ENDPOINT, "ak", "sk").get_producer(INSTANCE, TOPIC)
try:
    for i in range(8):
        msg = TopicMessage("I am test message %s.你好" % i, "")
        msg.put_property("a", str(i))
        msg.set_sharding_key(str(i % 2))
        r = producer.publish_message(msg)
        print("Publish Message Succeed. MessageID:%s, BodyMD5:%s" % (r.message_id, r.message_body_md5))
except MQExceptionBase as e:
    print("Publish Message Fail. Exception:%s" % e)
    sys.exit(1)
"""

SAMPLE_CONSUMER = """
import time
from mq_http_sdk.mq_exception import MQExceptionBase
from mq_http_sdk.mq_client import MQClient
consumer = MQClient(ENDPOINT, "ak", "sk").get_consumer(INSTANCE, TOPIC, GROUP)
while True:
    try:
        recv_msgs = consumer.CONSUME(3, 3)
        for msg in recv_msgs:
            print("Receive, Body: %s, ConsumedTimes: %s, ShardingKey: %s, Properties: %s, NextConsumeTime: %s, Now: %d"
                  % (msg.message_body, msg.consumed_times, msg.get_sharding_key(), msg.properties,
                     msg.next_consume_time, int(time.time() * 1000)))
    except MQExceptionBase as e:
        if e.type == "MessageNotExist":
            print("No new message! RequestId: %s" % e.req_id)
            continue
        print("Consume Message Fail! Exception:%s" % e)
        time.sleep(2)
        continue
    try:
        consumer.ack_message([msg.receipt_handle for msg in recv_msgs])
        print("Ak %s Message Succeed." % len(recv_msgs))
    except MQExceptionBase as e:
        print("Ak Message Fail! Exception:%s" % e)
"""


def sample(code, server, topic, group="", orderly=False):
    header = f"ENDPOINT = {endpoint(server)!r}\nINSTANCE = 'MQ_INST_SAMPLE'\nTOPIC = {topic!r}\nGROUP = {group!r}\n"
    return header + code.replace("CONSUME", "consume_message_orderly" if orderly else "consume_message")


def run_consumer_sample(tmp_path, code, expected_bodies, timeout=60):
    """Runs the endless consumer under a deadline until it printed every expected body; returns its lines."""
    script = tmp_path / f"consumer-{time.monotonic_ns()}.py"
    script.write_text(code, encoding="utf-8")
    out = script.with_suffix(".log")
    with open(out, "w", encoding="utf-8") as log:
        proc = subprocess.Popen([sys.executable, "-u", str(script)], stdout=log, stderr=subprocess.STDOUT)
    try:
        def done():
            text = out.read_text(encoding="utf-8")
            return all(f"Body: {b}," in text for b in expected_bodies) and text.count("Ak ") >= 1 and text
        wait_for(lambda: done() or proc.poll() is not None, timeout, 0.2, "the consumer sample to receive everything")
        time.sleep(1)  # let the last ack finish
    finally:
        proc.kill()
        proc.wait()
    lines = out.read_text(encoding="utf-8").splitlines()
    assert not any("Fail" in line for line in lines), "\n".join(lines[-30:])
    return lines


def test_sdk_samples_producer_and_consumer(apus, names, tmp_path):
    topic, group = names.topic(), names.group()
    script = tmp_path / "producer.py"
    script.write_text(sample(SAMPLE_PRODUCER, apus, topic), encoding="utf-8")
    started = time.time() * 1000
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("Publish Message Succeed") == 2 and done.stdout.count("Publish Timer Message Succeed") == 2
    bodies = ["I am test message 0.你好", "I am test message 1.", "I am test message 2.你好", "I am test message 3."]
    lines = run_consumer_sample(tmp_path, sample(SAMPLE_CONSUMER, apus, topic, group), bodies)
    received = [l for l in lines if l.startswith("Receive")]
    assert len(received) == 4, "each message once (all acked)"
    for line in received:
        if "message 1." in line or "message 3." in line:  # timed 5 s after its publish
            now = int(line.rsplit("Now: ", 1)[1])
            assert now >= started + 5000 - EARLY * 1000
        else:
            assert "'KEYS': 'MessageKey'" in line and "'a': 'i'" in line


def test_sdk_samples_order_producer_and_order_consumer(apus, names, tmp_path):
    topic, group = names.topic(), names.group()
    script = tmp_path / "order_producer.py"
    script.write_text(sample(SAMPLE_ORDER_PRODUCER, apus, topic), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.count("Publish Message Succeed") == 8, done.stdout + done.stderr
    bodies = [f"I am test message {i}.你好" for i in range(8)]
    lines = run_consumer_sample(tmp_path, sample(SAMPLE_CONSUMER, apus, topic, group, orderly=True), bodies)
    per_key = {}
    for line in lines:
        if line.startswith("Receive"):
            body = line.split("Body: ", 1)[1].split(",", 1)[0]
            key = line.split("ShardingKey: ", 1)[1].split(",", 1)[0]
            per_key.setdefault(key, []).append(body)
    assert per_key == {"0": [f"I am test message {i}.你好" for i in (0, 2, 4, 6)],
                       "1": [f"I am test message {i}.你好" for i in (1, 3, 5, 7)]}


# --- bad input over a raw connection: the spec's code and XML body, and the server keeps serving ---------------

def raw(server, method, target, body=None):
    import http.client
    from xml.dom import minidom
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    try:
        conn.request(method, target, body=body, headers={"Content-Type": "text/xml;charset=UTF-8"})
        response = conn.getresponse()
        data = response.read()
        assert response.getheader("x-mq-request-id")
        code = None
        if data:
            doc = minidom.parseString(data)
            codes = doc.getElementsByTagName("Code") or doc.getElementsByTagName("ErrorCode")
            code = codes[0].firstChild.data if codes else None
        return response.status, code
    finally:
        conn.close()


def test_bad_consume_and_ack_input_is_refused_and_server_keeps_serving(apus_factory, names):
    server = apus_factory({"autoCreateTopicEnable": "false"})
    wait_for(lambda: port_open(server.http_port), 10, 0.05, "the HTTP port")
    topic, group = names.topic(), names.group()
    path = f"/topics/{topic}/messages"
    handles = "".join(f"<ReceiptHandle>h{i}</ReceiptHandle>" for i in range(17))
    cases = [
        ("GET", f"{path}?consumer={group}&numOfMessages=0", None, 400, "InvalidArgument"),
        ("GET", f"{path}?consumer={group}&numOfMessages=17", None, 400, "InvalidArgument"),
        ("GET", f"{path}?consumer={group}&numOfMessages=1&waitseconds=31", None, 400, "InvalidArgument"),
        ("GET", f"{path}?consumer={group}&numOfMessages=1&trans=nope", None, 400, "InvalidArgument"),
        ("GET", f"{path}?numOfMessages=1", None, 400, "InvalidArgument"),
        ("GET", f"{path}?consumer={group}&numOfMessages=1", None, 404, "TopicNotExist"),
        ("DELETE", f"{path}?consumer={group}", b"<ReceiptHandles><ReceiptHandle>x", 400, "MalformedXML"),
        ("DELETE", f"{path}?consumer={group}", b"\xff\xfe not utf-8", 400, "MalformedXML"),
        ("DELETE", f"{path}?consumer={group}", b"<ReceiptHandles>" + b" " * 300_000 + b"</ReceiptHandles>", 400,
         "InvalidArgument"),
        ("DELETE", f"{path}?consumer={group}", f"<ReceiptHandles>{handles}</ReceiptHandles>".encode(), 400,
         "InvalidArgument"),
        ("DELETE", f"{path}?consumer={group}&trans=order", b"<ReceiptHandles><ReceiptHandle>x</ReceiptHandle>"
         b"</ReceiptHandles>", 400, "InvalidArgument"),
        ("GET", "/no/such/resource", None, 400, "InvalidRequestURL"),
        ("PUT", path, b"<Message/>", 400, "InvalidRequestURL"),
    ]
    for method, target, body, status, code in cases:
        assert raw(server, method, target, body) == (status, code), f"{method} {target}"
    # Unknown handles of a valid ack: 404 <Errors> per handle.
    assert raw(server, "DELETE", f"{path}?consumer={group}",
               b"<ReceiptHandles><ReceiptHandle>A1-1-2-3-4-5</ReceiptHandle></ReceiptHandles>") == (404, "ReceiptHandleError")
    assert server.alive()
    # Still serving: a created topic publishes and consumes.
    mq = client(server)
    existing = names.topic("e")
    admin("updateTopic", "-n", server.namesrv, "-t", existing, "-r", "2", "-w", "2", check=True)
    wait_for(lambda: _publish_ok(mq, existing), 30, 0.5, "a publish on the still-serving server")
    assert [m.message_body for m in drain(mq.get_consumer("", existing, group), 1)] == ["still serving"]


def _publish_ok(mq, topic):
    try:
        mq.get_producer("", topic).publish_message(TopicMessage("still serving", "T"))
        return True
    except MQExceptionBase:
        return False
