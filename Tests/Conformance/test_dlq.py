# Conformance: a message failed on every delivery is delivered 1 + maxReconsumeTimes (16) times,
# with reconsume_times 0..16 and retry level 3 + n (capped at the table's last level), then moves
# to %DLQ%{group}, where a consumer of another group reads it unchanged.
#
# Only one message is in flight in the failing group (see test_retry.py: the C++ client sends back
# whole batches, so concurrent failures would skip reconsume_times).
from harness import (client_may_drop_send_back, delay_seconds, message, producer, records_of, route_code,
                     wait_for, warm_up_retry)

LEVELS = " ".join(["1s"] * 18)  # every retry waits 1 s: 16 retries in ~20 s
MAX_RECONSUME_TIMES = 16  # subscription group default retryMaxTimes
EARLY = 0.02


def test_always_failing_message_reaches_the_dlq_intact(apus_factory, names, spawn_consumer):
    server = apus_factory({"messageDelayLevel": LEVELS})
    topic, group, body = names.topic(), names.group(), "always-fails"
    props = {"color": "green", "note": "über"}
    consumer = spawn_consumer(server.namesrv, group, topic, "c1", fail_first=1, fail_marker=body,
                              props=tuple(props))
    with producer(server.namesrv, names.group("p")) as p:
        warm_up_retry(p, topic, consumer)
        sent = p.send_sync(message(topic, body, tags="TagD", keys="dlq-key-1", props=props))
        assert sent.status == 0
    expected = MAX_RECONSUME_TIMES + 1
    # 16 retries of 1 s each plus pull latency; generous, but a broker without delays is much faster.
    with client_may_drop_send_back(consumer):
        wait_for(lambda: len(records_of(consumer, body)) >= expected, 60, 0.2,
                 f"{expected} deliveries of the always-failing message")
    dlq_topic = f"%DLQ%{group}"
    wait_for(lambda: route_code(server, dlq_topic) == 0, 15, 0.2, f"a route for {dlq_topic}")
    dlq = spawn_consumer(server.namesrv, names.group("dlq"), dlq_topic, "dlq", props=tuple(props))
    wait_for(lambda: records_of(dlq, body), 30, 0.2, f"the message to be read from {dlq_topic}")

    deliveries = records_of(consumer, body)  # by now an 18th delivery would have come (1 s level)
    assert [r["reconsume_times"] for r in deliveries] == list(range(expected)), \
        "an always-failing message is delivered with reconsume_times 0..16, then no more"
    [d] = records_of(dlq, body)
    assert (d["id"], d["body"], d["tags"], d["keys"]) == (sent.msg_id, body, "TagD", "dlq-key-1")
    assert {k: d["props"][k] for k in props} == props
    assert d["topic"] == dlq_topic, "another group reads the DLQ copy under the DLQ topic"
    assert d["props"]["RETRY_TOPIC"] == topic, "the DLQ copy remembers the original topic"
    assert d["reconsume_times"] == expected, "Java stores the DLQ copy with reconsumeTimes 17"
    for n, (before, after) in enumerate(zip(deliveries, deliveries[1:])):
        delay = delay_seconds(LEVELS, 3 + n)
        gap = after["recv"] - before["done"]
        assert gap >= delay - EARLY, \
            f"retry {n + 1} came {gap:.2f}s after the failure (level {3 + n} = {delay}s)"
