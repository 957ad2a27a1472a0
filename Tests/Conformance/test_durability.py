# Conformance: under SYNC_FLUSH every acknowledged message survives `kill -9` and an immediate
# restart on the same data dir and ports, across commit-log segment rolls.
from harness import producer, send_sync_all, wait_until_received

FILLER = "x" * 3000  # below the client's 4 KiB compression threshold


def test_sync_flush_messages_survive_kill9(apus_factory, names, spawn_consumer):
    server = apus_factory({"flushDiskType": "SYNC_FLUSH", "mappedFileSizeCommitLog": 1048576})
    topic = names.topic()
    bodies = [f"durable-{i:04d}-{FILLER}" for i in range(400)]  # ~1.2 MiB: rolls a 1 MiB segment
    with producer(server.namesrv, names.group("p")) as p:
        send_sync_all(p, topic, bodies)  # every send acknowledged
    server.kill9()
    server.start()  # at once: same data dir, same ports
    consumer = spawn_consumer(server.namesrv, names.group(), topic, "c1")
    wait_until_received([consumer], bodies, timeout=90)
    assert set(consumer.bodies()) == set(bodies)
