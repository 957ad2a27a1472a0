# Conformance: every send mode of the real client is acknowledged and consumed exactly as sent;
# orderly sends keep per-key order; tag filters; keys and user properties round-trip.
import pytest

from harness import AsyncSends, message, producer, send_sync_all, wait_for, wait_until_received

N = 200


def assert_exactly(consumer, expected):
    got = consumer.bodies()
    assert len(got) == len(expected), f"received {len(got)} deliveries, expected {len(expected)}"
    assert sorted(got) == sorted(expected)


@pytest.mark.parametrize("mode", ["sync", "async", "oneway", "batch"])
def test_send_mode_then_consume(apus, names, spawn_consumer, mode):
    topic = names.topic()
    bodies = [f"{mode}-{i:04d}" for i in range(N)]
    with producer(apus.namesrv, names.group("p")) as p:
        if mode == "sync":
            results = send_sync_all(p, topic, bodies)
            assert len({r.msg_id for r in results}) == N, "message ids must be unique"
        elif mode == "async":
            sends = AsyncSends()
            for b in bodies:
                sends.send(p, message(topic, b))
            wait_for(lambda: sends.done(N), 30, what="all async send callbacks")
            assert sends.errors == []
            assert len(sends.ok) == N and all(r.status == 0 for r in sends.ok)
        elif mode == "oneway":
            for b in bodies:
                p.send_oneway(message(topic, b))
        else:  # batches below and above the 4 KiB compression threshold of the batch wrapper
            start = 0
            for size in (10, 50, 10, 50, 80):
                r = p.send_batch([message(topic, b) for b in bodies[start:start + size]])
                assert r.status == 0, f"batch send returned {r}"
                start += size
            assert start == N
        consumer = spawn_consumer(apus.namesrv, names.group(), topic, "c1")
        wait_until_received([consumer], bodies)
    assert_exactly(consumer, bodies)


def test_orderly_send_keeps_per_key_order(apus, names, spawn_consumer):
    topic = names.topic()
    keys, per_key = 5, 40
    sent = {k: [f"k{k}-{i:03d}" for i in range(per_key)] for k in range(keys)}
    everything = [b for bs in sent.values() for b in bs]
    with producer(apus.namesrv, names.group("p")) as p:
        for i in range(per_key):
            for k in range(keys):
                r = p.send_orderly(message(topic, sent[k][i]), k)
                assert r.status == 0, f"orderly send returned {r}"
        concurrent = spawn_consumer(apus.namesrv, names.group("conc"), topic, "conc")
        orderly = spawn_consumer(apus.namesrv, names.group("ord"), topic, "ord", orderly=True)
        wait_until_received([concurrent], everything)
        wait_until_received([orderly], everything)

    queues_used = set()
    for consumer in (concurrent, orderly):
        assert_exactly(consumer, everything)
        records = consumer.records()
        for k, expected in sent.items():
            mine = [r for r in records if r["body"].startswith(f"k{k}-")]
            queues = {r["queue_id"] for r in mine}
            assert len(queues) == 1, f"key {k} spread over queues {queues}"
            queues_used |= queues
            by_offset = [r["body"] for r in sorted(mine, key=lambda r: r["queue_offset"])]
            assert by_offset == expected, f"key {k}: queue offsets not in send order"
            if consumer is orderly:
                assert [r["body"] for r in mine] == expected, f"key {k}: orderly delivery out of order"
    assert len(queues_used) > 1, "the orderly-send argument should select different queues"


def test_tag_filter(apus, names, spawn_consumer):
    topic = names.topic()
    tags = ["TagA", "TagB", "TagC", None]
    plan = [(tags[i % 4], f"{tags[i % 4] or 'untagged'}-{i:03d}") for i in range(160)]
    expected = [b for t, b in plan if t in ("TagA", "TagB")]
    with producer(apus.namesrv, names.group("p")) as p:
        for t, b in plan:
            r = p.send_sync(message(topic, b, tags=t))
            assert r.status == 0
        consumer = spawn_consumer(apus.namesrv, names.group(), topic, "c1", expression="TagA || TagB")
        wait_until_received([consumer], expected)
    assert_exactly(consumer, expected)
    for r in consumer.records():
        assert r["tags"] == r["body"].split("-")[0]


def test_keys_and_properties_round_trip(apus, names, spawn_consumer):
    topic = names.topic()
    sent = {}
    with producer(apus.namesrv, names.group("p")) as p:
        for i in range(50):
            body = f"props-{i:03d}"
            props = {"color": "blue" if i % 2 else "red", "seq": str(i), "note": "café au lait"}
            r = p.send_sync(message(topic, body, tags="T", keys=f"order-{i} customer-{i % 7}", props=props))
            assert r.status == 0
            sent[body] = (f"order-{i} customer-{i % 7}", props, r.msg_id)
        consumer = spawn_consumer(apus.namesrv, names.group(), topic, "c1", props=("color", "seq", "note"))
        wait_until_received([consumer], sent)
    assert_exactly(consumer, list(sent))
    for r in consumer.records():
        keys, props, msg_id = sent[r["body"]]
        assert r["keys"] == keys
        assert r["tags"] == "T"
        assert {k: r["props"][k] for k in props} == props
        assert r["props"]["UNIQ_KEY"] == msg_id, "the producer's message id reaches the consumer"
        assert r["topic"] == topic
