# Operations with the real C++ client (issue items 3, 4, 6): offset reset by time for online and offline
# clustering groups and its refusal for broadcasting groups; accumulation (lag and the age of the oldest unconsumed
# message, Apus's addition) appearing and draining; the subscription-consistency verdict of consumerConnection.
# Every wait is a poll with a deadline.
import json
import subprocess
import time

from harness import producer, send_sync_all, wait_for, warm_up
from test_admin_cli import admin, admin_json, admin_ok


def committed(namesrv, group, topic, total):
    """Poll until the group's committed offsets of `topic` add up to `total`; returns consumerProgress --json."""
    def done():
        data = admin_json("consumerProgress", "-n", namesrv, "-g", group)
        rows = [r for r in data["offsetTable"] if r["topic"] == topic]
        return data if rows and sum(r["consumerOffset"] for r in rows) == total else None
    return wait_for(done, 30, 0.5, f"offsets of {group} committed up to {total}")


def offline(namesrv, group):
    wait_for(lambda: admin("consumerConnection", "-n", namesrv, "-g", group).returncode != 0, 20, 0.5,
             f"{group} to have no online member")


def send_batch(namesrv, names, topic, prefix, n):
    """Sends n messages after a clock tick; returns the time (ms) just before the first."""
    time.sleep(0.05)
    before = int(time.time() * 1000)
    time.sleep(0.05)
    with producer(namesrv, names.group("p")) as p:
        send_sync_all(p, topic, [f"{prefix}{i}".encode() for i in range(n)])
    return before


def counts(consumer, prefix):
    seen = {}
    for r in consumer.records():
        if (r["body"] or "").startswith(prefix):
            seen[r["body"]] = seen.get(r["body"], 0) + 1
    return seen


def start_consumer(apus, names, spawn_consumer, topic, group, instance, **options):
    consumer = spawn_consumer(apus.namesrv, group, topic, instance, **options)
    with producer(apus.namesrv, names.group("w")) as p:
        sent = warm_up(p, topic, [consumer], per_queue=True)
    return consumer, sent


def test_reset_by_time_online_members_reconsume(apus, names, spawn_consumer):
    topic, group = names.topic(), names.group()
    admin("updateTopic", "-n", apus.namesrv, "-t", topic, "-r", "2", "-w", "2", check=True)
    consumer, warmups = start_consumer(apus, names, spawn_consumer, topic, group, "c1")
    before = send_batch(apus.namesrv, names, topic, "r", 20)
    wait_for(lambda: len(counts(consumer, "r")) == 20, 30, 0.2, "20 messages consumed")
    committed(apus.namesrv, group, topic, warmups + 20)

    reset = admin_json("resetOffsetByTime", "-n", apus.namesrv, "-g", group, "-t", topic, "-s", str(before))
    assert "offline" not in reset
    assert sum(r["offset"] for r in reset["offsetTable"]) == warmups
    # The same process is told (220) and consumes the 20 again, nothing before them.
    wait_for(lambda: len(counts(consumer, "r")) == 20 and min(counts(consumer, "r").values()) >= 2, 40, 0.2,
             "the 20 messages consumed again after the reset")
    assert not any(c > 1 for c in counts(consumer, "warmup-").values())


def test_reset_by_time_offline_group_next_consumer_starts_there(apus, names, spawn_consumer):
    topic, group = names.topic(), names.group()
    admin("updateTopic", "-n", apus.namesrv, "-t", topic, "-r", "2", "-w", "2", check=True)
    first, warmups = start_consumer(apus, names, spawn_consumer, topic, group, "c1")
    before = send_batch(apus.namesrv, names, topic, "r", 20)
    wait_for(lambda: len(counts(first, "r")) == 20, 30, 0.2, "20 messages consumed")
    committed(apus.namesrv, group, topic, warmups + 20)
    first.stop(10)
    offline(apus.namesrv, group)

    # The broker answers 206 for an offline group; the tool resets through 208/30/15 itself.
    reset = admin_json("resetOffsetByTime", "-n", apus.namesrv, "-g", group, "-t", topic, "-s", str(before))
    assert reset.get("offline") is True
    assert sum(r["offset"] for r in reset["offsetTable"]) == warmups
    progress = admin_json("consumerProgress", "-n", apus.namesrv, "-g", group)
    assert progress["diffTotal"] == 20

    second = spawn_consumer(apus.namesrv, group, topic, "c2")
    wait_for(lambda: len(counts(second, "r")) == 20, 40, 0.2, "the new consumer to start at the reset position")
    assert counts(second, "warmup-") == {}


def test_reset_of_broadcasting_group_is_refused_and_changes_nothing(apus, names, spawn_consumer):
    topic, group = names.topic(), names.group()
    admin("updateTopic", "-n", apus.namesrv, "-t", topic, "-r", "2", "-w", "2", check=True)
    consumer, _ = start_consumer(apus, names, spawn_consumer, topic, group, "b1", model="broadcasting")
    send_batch(apus.namesrv, names, topic, "r", 5)
    wait_for(lambda: len(counts(consumer, "r")) == 5, 30, 0.2, "5 messages consumed")

    result = admin("resetOffsetByTime", "-n", apus.namesrv, "-g", group, "-t", topic, "-s", "0")
    assert result.returncode != 0
    assert "offset reset is not supported for broadcasting consumption" in result.stderr, result.stderr
    assert "kept by the clients" in result.stderr

    # Nothing moved: a later message arrives, none of the earlier ones again.
    send_batch(apus.namesrv, names, topic, "after", 1)
    wait_for(lambda: counts(consumer, "after") == {"after0": 1}, 30, 0.2, "the message sent after the refusal")
    assert all(c == 1 for c in counts(consumer, "r").values())

    # consumerProgress says the broker does not track it, and shows what it observed (read-only).
    text = admin_ok("consumerProgress", "-n", apus.namesrv, "-g", group).stdout
    assert "does not track the progress of broadcasting consumption" in text
    assert "observed, not committed" in text
    data = admin_json("consumerProgress", "-n", apus.namesrv, "-g", group)
    assert data["broadcasting"] is True
    assert {p["topic"] for p in data["observedPositions"]} >= {topic}


def test_accumulation_appears_with_its_age_and_drains(apus, names, spawn_consumer):
    topic, group = names.topic(), names.group()
    admin("updateTopic", "-n", apus.namesrv, "-t", topic, "-r", "2", "-w", "2", check=True)
    first, warmups = start_consumer(apus, names, spawn_consumer, topic, group, "c1")
    committed(apus.namesrv, group, topic, warmups)
    first.stop(10)
    offline(apus.namesrv, group)

    n = 10
    send_batch(apus.namesrv, names, topic, "lag", n)
    stored = time.time()  # every one of the n is stored by now
    time.sleep(2)
    waited_ms = int((time.time() - stored) * 1000)
    data = admin_json("consumerProgress", "-n", apus.namesrv, "-g", group)
    assert data["diffTotal"] == n
    assert data["oldestUnconsumedAgeMillis"] >= waited_ms, data
    lagging = [r for r in data["offsetTable"] if r["diff"] > 0]
    assert lagging and all(r["oldestUnconsumedAgeMillis"] >= waited_ms for r in lagging)
    assert all(r["oldestUnconsumedAgeMillis"] is None for r in data["offsetTable"] if r["diff"] == 0)
    text = admin_ok("consumerProgress", "-n", apus.namesrv, "-g", group).stdout
    assert f"Diff Total: {n}" in text and "#OldestUnconsumedAge" in text
    assert "Oldest Unconsumed Age: " in text and "Oldest Unconsumed Age: -" not in text

    second = spawn_consumer(apus.namesrv, group, topic, "c2")
    wait_for(lambda: len(counts(second, "lag")) == n, 40, 0.2, "the accumulated messages consumed")

    def drained():
        data = admin_json("consumerProgress", "-n", apus.namesrv, "-g", group)
        return data if data["diffTotal"] == 0 else None
    data = wait_for(drained, 30, 0.5, "the lag to drain")
    assert data["oldestUnconsumedAgeMillis"] is None
    assert "Oldest Unconsumed Age: -" in admin_ok("consumerProgress", "-n", apus.namesrv, "-g", group).stdout


def two_members(namesrv, group):
    last = {}

    def both():
        result = admin("consumerConnection", "-n", namesrv, "-g", group, "--json")
        last["result"] = result
        if result.returncode != 0:  # not registered yet (no %RETRY% route, or 206)
            return None
        data = json.loads(result.stdout)
        return data if len(data["connectionSet"]) == 2 else None
    try:
        # Generous: on a loaded machine the 307 round trips to each C++ client take seconds.
        return wait_for(both, 60, 0.5, f"both members of {group} online")
    except AssertionError as error:
        result = last.get("result")
        detail = f"; last answer: exit {result.returncode}, {result.stdout[-500:]!r} {result.stderr[-500:]!r}" if result else ""
        raise AssertionError(f"{error}{detail}") from None


def test_consumer_connection_shows_the_consistency_verdict(apus, names, spawn_consumer):
    topic = names.topic()
    admin("updateTopic", "-n", apus.namesrv, "-t", topic, "-r", "2", "-w", "2", check=True)
    differing, same = names.group("diff"), names.group("same")
    spawn_consumer(apus.namesrv, differing, topic, "d1", expression="TagA")
    spawn_consumer(apus.namesrv, differing, topic, "d2", expression="TagB")
    spawn_consumer(apus.namesrv, same, topic, "s1", expression="TagA || TagB")
    spawn_consumer(apus.namesrv, same, topic, "s2", expression="TagA || TagB")

    data = two_members(apus.namesrv, differing)
    ids = sorted(c["clientId"] for c in data["connectionSet"])
    verdict = data["apusSubscriptionVerdict"]
    assert verdict["consistent"] is False
    [difference] = verdict["differences"]
    assert difference["aspect"] == "expression" and difference["topic"] == topic
    assert sorted(id for v in difference["variants"] for id in v["clientIds"]) == ids
    assert sorted(v["value"] for v in difference["variants"]) == ["TagA", "TagB"]
    text = admin_ok("consumerConnection", "-n", apus.namesrv, "-g", differing).stdout
    assert "Subscription Consistency: INCONSISTENT" in text
    line = next(l for l in text.splitlines() if "differs" in l)
    assert f"expression of {topic} differs" in line and all(id in line for id in ids)
    status = admin_json("consumerStatus", "-n", apus.namesrv, "-g", differing)
    assert status["consistent"] is False

    data = two_members(apus.namesrv, same)
    assert data["apusSubscriptionVerdict"] == {"consistent": True, "differences": []}
    assert "Subscription Consistency: consistent" in admin_ok("consumerConnection", "-n", apus.namesrv, "-g", same).stdout

    # Message model (one broadcasting member) and consume order (one orderly member, found through 307).
    model, order = names.group("model"), names.group("order")
    spawn_consumer(apus.namesrv, model, topic, "m1")
    spawn_consumer(apus.namesrv, model, topic, "m2", model="broadcasting")
    spawn_consumer(apus.namesrv, order, topic, "o1", orderly=True)
    spawn_consumer(apus.namesrv, order, topic, "o2")
    data = two_members(apus.namesrv, model)
    aspects = {d["aspect"]: d for d in data["apusSubscriptionVerdict"]["differences"]}
    assert "messageModel" in aspects, data
    assert sorted(v["value"] for v in aspects["messageModel"]["variants"]) == ["BROADCASTING", "CLUSTERING"]
    two_members(apus.namesrv, order)
    data = admin_json("consumerConnection", "-n", apus.namesrv, "-g", order)
    assert data["apusSubscriptionVerdict"]["consistent"] is False
    [difference] = data["apusSubscriptionVerdict"]["differences"]
    assert difference["aspect"] == "consumeOrder"
    orderly = next(c["clientId"] for c in data["connectionSet"] if c["clientId"].endswith("@o1"))
    assert {"value": "ORDERLY", "clientIds": [orderly]} in difference["variants"]
    # (--json: the text form writes running-info files into the working directory, as mqadmin does)
    status = admin_json("consumerStatus", "-n", apus.namesrv, "-g", order)
    assert status["consistent"] is False and any("consume order differs" in d for d in status["differences"])

    # The broker logged the differing group's verdict once (not at every membership notification).
    time.sleep(1)
    log = apus.log_path.read_text(encoding="utf-8", errors="replace")
    assert sum(1 for l in log.splitlines() if "subscribe differently" in l and differing in l) == 1
    assert not any("subscribe differently" in l and same in l for l in log.splitlines())
