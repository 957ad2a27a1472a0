# Conformance: a clustering consumer that answers RECONSUME_LATER gets the message again from
# %RETRY%{group} (after the broker's first delay level, ~10 s), under the original topic.
from harness import producer, send_sync_all, wait_for


def test_failed_message_is_redelivered(apus, names, spawn_consumer):
    topic = names.topic()
    bodies = [f"retry-{i}" for i in range(5)]
    with producer(apus.namesrv, names.group("p")) as p:
        send_sync_all(p, topic, bodies)
        consumer = spawn_consumer(apus.namesrv, names.group(), topic, "c1", fail_first=1)

        def redelivered():
            records = consumer.records()
            failed = [r for r in records if r["status"] == "fail"]
            if not failed:
                return None
            return [r for r in records if r["body"] == failed[0]["body"] and r["status"] == "ok"]

        again = wait_for(redelivered, 75, 0.2, "the message that failed to be delivered again")
        wait_for(lambda: {r["body"] for r in consumer.records() if r["status"] == "ok"} >= set(bodies),
                 30, 0.2, "every message to be consumed successfully")
    first = consumer.records()[0]
    assert first["status"] == "fail" and first["reconsume_times"] == 0
    assert again[0]["reconsume_times"] >= 1
    assert again[0]["topic"] == topic, "a retried message is delivered under its original topic"
    assert again[0]["props"]["RETRY_TOPIC"] == topic
