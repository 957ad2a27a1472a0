# Conformance: the C++ client does not validate group names (its regex check is a stub), so a
# consumer or producer can arrive with an illegal group name. The broker must not create
# `%RETRY%`/`%DLQ%` topics from such names (topic names are ^[%|a-zA-Z0-9_-]+$) and must keep
# serving everyone else.
import re

from harness import (TOPIC_NOT_EXIST, message, producer, route_code, topics_on_disk, wait_for,
                     wait_until_received)

LEGAL_TOPIC = re.compile(r"^[%|a-zA-Z0-9_-]{1,127}$")


def test_illegal_group_names_create_no_topics(apus, names, spawn_consumer):
    topic = names.topic()
    bad_groups = [f"bad group!{names.prefix[-8:]}", f"bad\x01group{names.prefix[-8:]}"]
    bad = [spawn_consumer(apus.namesrv, g, topic, f"bad{i}") for i, g in enumerate(bad_groups)]
    # Their heartbeats went out during start-up (the log line comes after StartPushConsumer).
    for c in bad:
        wait_for(lambda: "started" in c.log_tail() or not c.alive(), 20, 0.1, f"consumer {c.name} to start")
    for g in bad_groups:  # producers with illegal groups heartbeat and send too
        try:
            with producer(apus.namesrv, g) as p:
                p.send_sync(message(topic, f"from {g!r}"))
        except Exception:  # the broker may refuse the send; only its own state is checked here
            pass
    # Positive control, started last: a legal group gets its retry topic.
    good_group = names.group()
    good = spawn_consumer(apus.namesrv, good_group, topic, "good")
    wait_for(lambda: f"%RETRY%{good_group}" in topics_on_disk(apus), 20, 0.1,
             "the legal group's retry topic in config/topics.json")

    assert apus.alive()
    on_disk = topics_on_disk(apus)
    illegal = sorted(t for t in on_disk if not LEGAL_TOPIC.match(t))
    assert not illegal, f"topics with illegal names were created: {illegal!r}"
    for g in bad_groups:
        for prefix in ("%RETRY%", "%DLQ%"):
            assert prefix + g not in on_disk
            assert route_code(apus, prefix + g) == TOPIC_NOT_EXIST, f"a route exists for {prefix + g!r}"

    bodies = [f"after-bad-groups-{i}" for i in range(20)]
    with producer(apus.namesrv, names.group("p")) as p:
        for b in bodies:
            assert p.send_sync(message(topic, b)).status == 0
    wait_until_received([good], bodies)
