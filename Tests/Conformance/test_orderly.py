# Conformance: orderly consumption by two members of one group (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ):
# per sharding key, messages are consumed in send order; a queue is consumed by one member at a
# time; when a member leaves mid-stream, the other takes its queues over and order still holds,
# nothing is lost.
#
# The leaving member is the one holding %RETRY%{group} queue 0: the C++ client's unlock-all at
# shutdown leaves out the first queue of each broker (/work/notes/cpp-client.md §2), which is then
# the retry queue, so every topic queue is unlocked and the survivor can take it at once. (With the
# other member leaving, one topic queue would stay locked for the broker's 60 s lock lifetime.)
import collections

from harness import message, owner_of_single_queue, producer, wait_for, wait_until_received, warm_up

KEYS = 16       # two keys per queue of the topic's 8
ROUNDS = 10     # messages per key and phase
HOLD_MS = 10    # each callback takes >= 10 ms, so overlapping consumption of a queue would show


def test_orderly_members_keep_key_order_and_hand_over(apus, names, spawn_consumer):
    topic, group = names.topic(), names.group()
    with producer(apus.namesrv, names.group("mk")) as p:  # create the topic first
        assert p.send_sync(message(topic, "warmup-create")).status == 0
    members = [spawn_consumer(apus.namesrv, group, topic, name, orderly=True, hold_ms=HOLD_MS)
               for name in ("ox", "oy")]
    seq = collections.Counter()
    sent = []

    def send_phase(p):
        bodies = []
        for _ in range(ROUNDS):
            for k in range(KEYS):
                body = f"k{k:02d}-{seq[k]:04d}"
                seq[k] += 1
                r = p.send_orderly(message(topic, body), k)  # queue = k % 8
                assert r.status == 0, f"orderly send returned {r}"
                bodies.append(body)
        sent.extend(bodies)
        return bodies

    with producer(apus.namesrv, names.group("p")) as p:
        warm_up(p, topic, members, exclusive=True)
        leaver = owner_of_single_queue(apus, group, members)
        survivor = next(c for c in members if c is not leaver)

        steady = send_phase(p)
        wait_until_received(members, steady, timeout=45)
        leaver.wait_queue_added(f"%RETRY%{group}")  # so that its unlock-all covers every topic queue
        owners = collections.defaultdict(set)
        for c in members:
            for r in c.records():
                owners[r["queue_id"]].add(c.name)
        shared = {q: o for q, o in owners.items() if len(o) > 1}
        assert not shared, f"queues consumed by both members while the group was stable: {shared}"
        assert all(c.bodies() for c in members), "both members should own queues"

        send_phase(p)  # the leaver still has a backlog of ~80 x 10 ms when it is stopped
        assert leaver.stop() == 0, f"member {leaver.name} did not shut down cleanly:\n{leaver.log_tail()}"
        tail = send_phase(p)

        def all_consumed():
            assert survivor.alive(), f"member {survivor.name} exited:\n{survivor.log_tail()}"
            return set(sent) <= set(leaver.bodies()) | set(survivor.bodies())

        wait_for(all_consumed, 60, 0.2, "every message to be consumed by one of the members")
    assert set(tail) <= set(survivor.bodies()), "the survivor consumes everything sent after the leave"

    deliveries = [r for c in members for r in c.records()]
    by_key = collections.defaultdict(set)
    for r in deliveries:
        by_key[r["body"][:3]].add(r["queue_id"])
    assert all(len(q) == 1 for q in by_key.values()), f"a key spread over queues: {dict(by_key)}"

    # Per member and key: strictly increasing (no reordering, no repeat within a member).
    for c in members:
        per_key = collections.defaultdict(list)
        for r in c.records():
            per_key[r["body"][:3]].append(int(r["body"][4:]))
        for key, seqs in per_key.items():
            assert seqs == sorted(set(seqs)), f"{c.name}, key {key}: consumed out of order: {seqs}"

    # Across members, by time: a message is first consumed only after all earlier ones of its key
    # (a hand-over may repeat messages, never skip ahead).
    consumed = collections.defaultdict(set)
    for r in sorted(deliveries, key=lambda r: r["recv"]):
        key, n = r["body"][:3], int(r["body"][4:])
        missing = [m for m in range(n) if m not in consumed[key]]
        assert not missing, f"key {key}: #{n} consumed by {r['pid']} before #{missing[:5]}"
        consumed[key].add(n)

    # A queue is never consumed by two members at the same time.
    by_queue = collections.defaultdict(list)
    for c in members:
        for r in c.records():
            by_queue[r["queue_id"]].append((r["recv"], r["done"], c.name))
    for q, spans in by_queue.items():
        spans.sort()
        for (s1, e1, c1), (s2, e2, c2) in zip(spans, spans[1:]):
            assert c1 == c2 or s2 >= e1, f"queue {q}: {c1} and {c2} consumed it at the same time"
