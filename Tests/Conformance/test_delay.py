# Conformance: scheduled delivery. A producer's delay level (property DELAY, default table
# "1s 5s 10s 30s 1m …"), a timer message (property __STARTDELIVERTIME = absolute epoch ms), and
# delayed messages pending across `kill -9` of the broker. Never early; on time within a
# bounded latency; undelayed messages overtake delayed ones.
import time

from harness import (DEFAULT_DELAY_LEVELS, delay_seconds, message, producer, records_of,
                     wait_for, wait_until_received, warm_up)

EARLY = 0.02  # seconds: millisecond rounding
TICK = 0.1    # a scheduler tick: the most a delivery after a crash may be early


def first(consumer, body):
    got = records_of(consumer, body)
    return got[0] if got else None


def test_delay_level_3_waits_10_seconds(apus, names, spawn_consumer):
    topic = names.topic()
    consumer = spawn_consumer(apus.namesrv, names.group(), topic, "c1")
    delay = delay_seconds(DEFAULT_DELAY_LEVELS, 3)
    assert delay == 10
    with producer(apus.namesrv, names.group("p")) as p:
        warm_up(p, topic, [consumer])
        before = time.time()
        result = p.send_sync(message(topic, "delayed-level-3", keys="dk", delay_level=3))
        assert result.status == 0
        sent = time.time()
        assert p.send_sync(message(topic, "undelayed-control")).status == 0
    wait_for(lambda: first(consumer, "delayed-level-3"), delay + 10, 0.05, "the delayed message")
    d, c = first(consumer, "delayed-level-3"), first(consumer, "undelayed-control")
    after = d["recv"] - before
    assert d["recv"] >= before + delay - EARLY, f"delivered {after:.2f}s after the send; level 3 is {delay}s"
    assert d["recv"] <= sent + delay + 1.5, f"delivered {after:.2f}s after the send; level 3 is {delay}s"
    assert c is not None and c["recv"] < d["recv"], "the undelayed message sent later is consumed first"
    assert (d["id"], d["keys"], d["topic"]) == (result.msg_id, "dk", topic), "the delayed message is unchanged"


def test_start_deliver_time(apus, names, spawn_consumer):
    topic = names.topic()
    consumer = spawn_consumer(apus.namesrv, names.group(), topic, "c1", props=("__STARTDELIVERTIME",))
    with producer(apus.namesrv, names.group("p")) as p:
        warm_up(p, topic, [consumer])
        due_ms = int(time.time() * 1000) + 3000
        timer = message(topic, "timer-future", props={"__STARTDELIVERTIME": str(due_ms)})
        assert p.send_sync(timer).status == 0
        past_ms = int(time.time() * 1000) - 5000
        sent_past = time.time()
        past = message(topic, "timer-past", props={"__STARTDELIVERTIME": str(past_ms)})
        assert p.send_sync(past).status == 0
        assert p.send_sync(message(topic, "timer-control")).status == 0
    wait_for(lambda: first(consumer, "timer-future"), 3 + 10, 0.05, "the timer message")
    wait_for(lambda: first(consumer, "timer-past"), 5, 0.05, "the timer message with a past time")
    future, past = first(consumer, "timer-future"), first(consumer, "timer-past")
    control = first(consumer, "timer-control")
    lateness = future["recv"] - due_ms / 1000
    assert past["recv"] - sent_past < 1.0, "a past __STARTDELIVERTIME delivers at once"
    assert lateness >= -EARLY, f"timer message delivered {-lateness:.2f}s before __STARTDELIVERTIME"
    assert lateness <= 1.0, f"timer message delivered {lateness:.2f}s after __STARTDELIVERTIME"
    assert control["recv"] < future["recv"], "an undelayed message sent later is consumed first"
    assert future["props"]["__STARTDELIVERTIME"] == str(due_ms), "the property reaches the consumer"


KILL_LEVELS = "1s 5s 6s 7s 8s " + " ".join(["1s"] * 13)


def test_delayed_messages_survive_kill9(apus_factory, names, spawn_consumer):
    server = apus_factory({"flushDiskType": "SYNC_FLUSH", "messageDelayLevel": KILL_LEVELS})
    topic = names.topic()
    due = {}  # body -> earliest allowed delivery (epoch seconds)
    with producer(server.namesrv, names.group("p")) as p:
        for level in (2, 3, 4, 5):  # 5, 6, 7, 8 s
            body = f"level-{level}"
            before = time.time()
            assert p.send_sync(message(topic, body, delay_level=level)).status == 0
            due[body] = before + delay_seconds(KILL_LEVELS, level)
        for extra_ms in (5500, 6500, 7500):
            body = f"timer-{extra_ms}"
            at_ms = int(time.time() * 1000) + extra_ms
            assert p.send_sync(message(topic, body, props={"__STARTDELIVERTIME": str(at_ms)})).status == 0
            due[body] = at_ms / 1000
    server.kill9()
    server.start()  # at once: same data dir, same ports
    consumer = spawn_consumer(server.namesrv, names.group(), topic, "c1")
    wait_until_received([consumer], due, timeout=max(due.values()) - time.time() + 20)
    for body, at in due.items():
        got = first(consumer, body)
        assert got["recv"] >= at - TICK, f"{body} delivered {at - got['recv']:.2f}s early after the restart"
