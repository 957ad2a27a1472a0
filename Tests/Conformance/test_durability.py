# Conformance: acknowledged messages survive shutdown and restart: SIGTERM (clean, exit 0), and
# `kill -9` under SYNC_FLUSH with an immediate restart on the same data dir and ports.
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


def test_sigterm_is_clean_and_keeps_messages(apus, names, spawn_consumer):
    topic = names.topic()
    bodies = [f"kept-{i:03d}" for i in range(100)]
    with producer(apus.namesrv, names.group("p")) as p:
        send_sync_all(p, topic, bodies)
    assert apus.stop() == 0, "SIGTERM must shut apus down cleanly with exit code 0"
    apus.start()
    consumer = spawn_consumer(apus.namesrv, names.group(), topic, "c1")
    wait_until_received([consumer], bodies)
