# Conformance: clustering vs broadcasting consumption as the seed defines it (shared vs fan-out,
# unset model = clustering, restart resumes, mixed models in one group = broadcasting for all).
import collections
import time

from harness import producer, send_sync_all, wait_until_received, warm_up


def assert_no_duplicates(consumers):
    counts = collections.Counter(b for c in consumers for b in c.bodies())
    dups = {b: n for b, n in counts.items() if n > 1}
    assert not dups, f"{len(dups)} messages delivered more than once, e.g. {list(dups.items())[:5]}"


def test_clustering_consumers_share_messages(apus, names, spawn_consumer):
    topic, group = names.topic(), names.group()
    bodies = [f"shared-{i:03d}" for i in range(300)]
    with producer(apus.namesrv, names.group("p")) as p:
        consumers = [spawn_consumer(apus.namesrv, group, topic, f"c{i}") for i in range(3)]
        warm_up(p, topic, consumers, exclusive=True)
        send_sync_all(p, topic, bodies)
        wait_until_received(consumers, bodies)
    assert_no_duplicates(consumers)
    for c in consumers:
        assert c.bodies(), f"consumer {c.name} received nothing: the group did not share the load"


def test_broadcasting_consumers_each_get_everything(apus, names, spawn_consumer):
    topic, group = names.topic(), names.group()
    bodies = [f"fanout-{i:03d}" for i in range(150)]
    with producer(apus.namesrv, names.group("p")) as p:
        consumers = [spawn_consumer(apus.namesrv, group, topic, f"b{i}", model="broadcasting")
                     for i in range(3)]
        warm_up(p, topic, consumers, per_queue=True)
        send_sync_all(p, topic, bodies)
        for c in consumers:
            wait_until_received([c], bodies)
    for c in consumers:
        assert sorted(c.bodies()) == sorted(bodies), f"broadcasting consumer {c.name}"


def test_unset_message_model_is_clustering(apus, names, spawn_consumer):
    topic, group = names.topic(), names.group()
    bodies = [f"unset-{i:03d}" for i in range(200)]
    with producer(apus.namesrv, names.group("p")) as p:
        consumers = [spawn_consumer(apus.namesrv, group, topic, f"u{i}", model="unset") for i in range(2)]
        warm_up(p, topic, consumers, exclusive=True)
        send_sync_all(p, topic, bodies)
        wait_until_received(consumers, bodies)
    assert_no_duplicates(consumers)
    for c in consumers:
        assert c.bodies(), f"consumer {c.name} received nothing"


def test_clustering_consumer_restart_resumes(apus, names, spawn_consumer):
    topic, group = names.topic(), names.group()
    before = [f"before-{i:03d}" for i in range(100)]
    during = [f"during-{i:03d}" for i in range(100)]
    with producer(apus.namesrv, names.group("p")) as p:
        send_sync_all(p, topic, before)
        first = spawn_consumer(apus.namesrv, group, topic, "c1")
        wait_until_received([first], before)
        # Not a correctness wait: let the client's 5 s offset-persist timer run once while idle,
        # as a real consumer would before being stopped. Missing messages fail either way.
        time.sleep(6)
        assert first.stop() == 0, f"consumer did not shut down cleanly:\n{first.log_tail()}"
        send_sync_all(p, topic, during)
        second = spawn_consumer(apus.namesrv, group, topic, "c1")
        wait_until_received([second], during)
    assert set(during) <= set(second.bodies())  # re-deliveries of earlier messages are tolerated


def test_mixed_models_in_one_group_broadcast_to_all(apus, names, spawn_consumer):
    topic, group = names.topic(), names.group()
    bodies = [f"mixed-{i:03d}" for i in range(150)]
    with producer(apus.namesrv, names.group("p")) as p:
        consumers = [spawn_consumer(apus.namesrv, group, topic, "cl0", model="clustering"),
                     spawn_consumer(apus.namesrv, group, topic, "cl1", model="clustering"),
                     spawn_consumer(apus.namesrv, group, topic, "bc0", model="broadcasting")]
        warm_up(p, topic, consumers, per_queue=True)
        send_sync_all(p, topic, bodies)
        for c in consumers:
            wait_until_received([c], bodies)
    for c in consumers:
        assert set(bodies) <= set(c.bodies()), f"{c.name} missed messages"
