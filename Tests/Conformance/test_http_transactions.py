# Conformance: HTTP API transactions (http-api §6.1, §6.5, §6.6, §10.6, §12) with the real Python SDK
# (mq-http-sdk==1.0.3), observed by a real C++ PushConsumer over remoting (committed → visible across protocols,
# rolled back → never).
#
# The flow is that of the SDK's trans_producer.py sample (spec §12): four halves with __TransCheckT=10 and user
# property a=i; message 0 committed by its publish handle at once; a check-back thread pops halves
# (consume_half_message(1, 3)), commits a=1, commits a=2 only once ConsumedTimes > 1, rolls back a=3. The sample
# itself is not vendored: this test drives the same SDK calls in the same order (the sample's Thread.isAlive()
# bug, §12, does not arise here).
#
# MERGE NOTE: GET …&trans=pop and DELETE …&trans=commit|rollback reach MQEndpoint.consumeHalf / endTransaction
# through the consume/ack routes of the HTTP-consumption branch; on branch wt-txn a temporary route block in
# MQRoutes.swift stands in for them. This test passes on either.
import threading
import time

import pytest
from mq_http_sdk.mq_client import MQClient
from mq_http_sdk.mq_exception import MQExceptionBase
from mq_http_sdk.mq_producer import TopicMessage

from harness import message, port_open, producer, records_of, wait_for, warm_up


def trans_producer(server, topic, group, instance=""):
    wait_for(lambda: port_open(server.http_port), 10, 0.05, "the HTTP port")
    return MQClient(f"http://127.0.0.1:{server.http_port}", "AK", "SK").get_trans_producer(instance, topic, group)


def consumed(consumer, body):
    return [r for r in records_of(consumer, body) if r.get("status", "ok") == "ok"]


class CheckBack(threading.Thread):
    """The sample's check-back thread: pops one half at a time and resolves it by its property `a`."""

    def __init__(self, tp, deadline):
        super().__init__(daemon=True)
        self.tp = tp
        self.deadline = deadline
        self.pops = []      # (a, consumed_times, next_consume_time, pop time ms)
        self.resolved = {}  # a -> "commit" | "rollback"
        self.error = None

    def run(self):
        try:
            while len(self.resolved) < 3 and time.time() < self.deadline:
                try:
                    halves = self.tp.consume_half_message(1, 3)
                except MQExceptionBase as e:
                    if e.type == "MessageNotExist":
                        continue
                    raise
                for h in halves:
                    a = int(h.get_property("a"))
                    self.pops.append((a, h.consumed_times, h.next_consume_time, int(time.time() * 1000)))
                    if a == 1 or (a == 2 and h.consumed_times > 1):
                        self.tp.commit(h.receipt_handle)
                        self.resolved[a] = "commit"
                    elif a == 3:
                        self.tp.rollback(h.receipt_handle)
                        self.resolved[a] = "rollback"
        except Exception as e:  # reported by the test
            self.error = e


def test_sdk_trans_producer_flow(apus, names, spawn_consumer):
    topic = names.topic()
    group = names.group("trans")
    consumer = spawn_consumer(apus.namesrv, names.group(), topic, "c1", props=("a", "__TransCheckT"))
    with producer(apus.namesrv, names.group("p")) as p:
        warm_up(p, topic, [consumer])
        tp = trans_producer(apus, topic, group)
        checker = CheckBack(trans_producer(apus, topic, group), time.time() + 90)
        checker.start()
        published = []
        for i in range(4):
            m = TopicMessage(f"I am test message {i}.", "")
            m.put_property("a", i)
            m.set_message_key("MessageKey")
            m.set_trans_check_immunity_time(10)
            r = tp.publish_message(m)
            assert r.message_id and r.receipt_handle, "a transactional publish answers a receipt handle"
            published.append((time.time(), r))
            if i == 0:
                tp.commit(r.receipt_handle)
        wait_for(lambda: consumed(consumer, "I am test message 0."), 30, 0.05, "message 0, committed by its publish handle")
        checker.join(100)
        assert checker.error is None, f"check-back thread failed: {checker.error!r}"
        assert checker.resolved == {1: "commit", 2: "commit", 3: "rollback"}, checker.pops
        wait_for(lambda: consumed(consumer, "I am test message 1.") and consumed(consumer, "I am test message 2."),
                 30, 0.05, "messages 1 and 2, committed from the check-back")
        assert p.send_sync(message(topic, "control")).status == 0
        wait_for(lambda: consumed(consumer, "control"), 30, 0.05, "the control message")

    assert not consumed(consumer, "I am test message 3."), "the rolled-back half is never delivered"
    assert all(len(consumed(consumer, f"I am test message {i}.")) == 1 for i in range(3))
    got = consumed(consumer, "I am test message 1.")[0]
    assert got["topic"] == topic
    # Pops: none of message 0 (committed at once); the first pop of each not before __TransCheckT (10 s).
    pops = checker.pops
    assert 0 not in [a for a, *_ in pops]
    for a, times, next_ms, at_ms in pops:
        assert times >= 1
        assert 8_000 <= next_ms - at_ms <= 12_000, f"NextConsumeTime {next_ms - at_ms} ms after the pop; ~10 s expected"
        published_at = published[a][0]
        assert at_ms / 1000 >= published_at + 10 - 0.05, f"message {a} popped before its check time"
    twos = [times for a, times, *_ in pops if a == 2]
    assert twos[:2] == [1, 2], f"message 2 popped again with ConsumedTimes 2: {twos}"


def test_handles_refused_once_resolved_or_foreign(apus, names):
    topic = names.topic()
    tp = trans_producer(apus, topic, names.group("trans"))
    m = TopicMessage("half", "")
    m.set_trans_check_immunity_time(10)
    r = tp.publish_message(m)
    tp.rollback(r.receipt_handle)
    for bad in (r.receipt_handle, "T0-0-0-0", "not-a-handle"):
        with pytest.raises(MQExceptionBase) as e:
            tp.commit(bad)
        assert e.value.sub_errors and e.value.sub_errors[0]["ErrorCode"] == "ReceiptHandleError", e.value
    other = trans_producer(apus, names.topic("other"), names.group("trans"))
    m2 = TopicMessage("half-2", "")
    m2.set_trans_check_immunity_time(10)
    r2 = tp.publish_message(m2)
    with pytest.raises(MQExceptionBase) as e:
        other.commit(r2.receipt_handle)  # another topic's path
    assert e.value.sub_errors[0]["ErrorCode"] == "ReceiptHandleError"
    tp.commit(r2.receipt_handle)  # still valid on its own topic
    with pytest.raises(MQExceptionBase) as e:
        bad = TopicMessage("half-3", "")
        bad.set_trans_check_immunity_time(5)
        tp.publish_message(bad)
    assert e.value.type == "InvalidArgument"


def test_http_half_survives_kill9_and_commits_to_a_tcp_consumer(apus, names, spawn_consumer):
    topic = names.topic()
    tp = trans_producer(apus, topic, names.group("trans"))
    with producer(apus.namesrv, names.group("p")) as p:
        assert p.send_sync(message(topic, "create-topic")).status == 0
    keep, drop = TopicMessage("http-half-kept", ""), TopicMessage("http-half-dropped", "")
    for m in (keep, drop):
        m.set_trans_check_immunity_time(60)
    kept, dropped = tp.publish_message(keep), tp.publish_message(drop)
    tp.rollback(dropped.receipt_handle)
    apus.kill9()
    apus.restart()
    consumer = spawn_consumer(apus.namesrv, names.group(), topic, "c1")
    tp = trans_producer(apus, topic, names.group("trans"))
    with producer(apus.namesrv, names.group("p")) as p:
        warm_up(p, topic, [consumer])
        tp.commit(kept.receipt_handle)  # the publish handle is still valid after the crash
        with pytest.raises(MQExceptionBase) as e:
            tp.commit(dropped.receipt_handle)
        assert e.value.sub_errors[0]["ErrorCode"] == "ReceiptHandleError", "the rollback held across kill -9"
        wait_for(lambda: consumed(consumer, "http-half-kept"), 30, 0.05, "the half committed after kill -9")
        assert p.send_sync(message(topic, "control")).status == 0
        wait_for(lambda: consumed(consumer, "control"), 30, 0.05, "the control message")
    assert not consumed(consumer, "http-half-dropped")
