# Conformance: transactional messages over remoting (RocketMQ 4.x semantics) with a real C++ PushConsumer.
#
# The transactional producer is driven at the wire level (java_replay/rmqwire.py frames, as the RocketMQ clients
# send them): the PyPI wheel rocketmq==0.4.4 bundles librocketmq 1.2.x, whose exported C API has no transactional
# producer (`nm -D librocketmq.so` lists the C++ TransactionMQProducer class but no CreateTransactionProducer /
# SendMessageTransaction C entry points), and the Java 4.9.8 captures hold no transaction frames. So this test
# speaks the producer's side of the protocol itself — SEND_MESSAGE with sysFlag TRANSACTION_PREPARED_TYPE and
# TRAN_MSG=true, a HEART_BEAT announcing the producer group, one-way END_TRANSACTION (37), answering the broker's
# CHECK_TRANSACTION_STATE (39) — and a real C++ PushConsumer observes what becomes visible.
import time
import uuid

from harness import message, producer, records_of, wait_for, warm_up
from java_replay.rmqwire import FLAG_ONEWAY, Conn, decode_records, request

TRANSACTION_PREPARED = 0x4
TRANSACTION_COMMIT = 0x8
TRANSACTION_ROLLBACK = 0xC
CONFIG = {"transactionTimeOut": "1000", "transactionCheckInterval": "1000", "transactionCheckMax": "3"}


class TxProducer:
    """The producer side of a RocketMQ transaction on one connection (spec remoting §2.15, §2.17, §5.12)."""

    def __init__(self, port, group):
        self.conn = Conn(port)
        self.group = group
        self.client_id = f"127.0.0.1@tx-{uuid.uuid4().hex[:8]}"
        self.heartbeat()

    def close(self):
        self.conn.close()

    def heartbeat(self):
        body = ('{"clientID":"%s","consumerDataSet":[],"producerDataSet":[{"groupName":"%s"}]}'
                % (self.client_id, self.group)).encode()
        r = self.conn.call(request(34, {}, body))
        assert r is not None and r.code == 0, f"heartbeat answered {r}"

    def prepare(self, topic, body, props=None):
        """A prepared (half) send: returns (msgId, queueOffset, commitLogOffset, uniqKey)."""
        uniq = uuid.uuid4().hex.upper()
        properties = {"TRAN_MSG": "true", "PGROUP": self.group, "UNIQ_KEY": uniq, "WAIT": "true", "TAGS": "TagT"}
        properties.update(props or {})
        ext = {"producerGroup": self.group, "topic": topic, "defaultTopic": "TBW102", "defaultTopicQueueNums": "4",
               "queueId": "0", "sysFlag": str(TRANSACTION_PREPARED), "bornTimestamp": str(int(time.time() * 1000)),
               "flag": "0", "properties": "".join(f"{k}\x01{v}\x02" for k, v in properties.items()),
               "reconsumeTimes": "0", "unitMode": "false", "batch": "false"}
        r = self.conn.call(request(10, ext, body.encode()))
        assert r is not None and r.code == 0, f"prepared send answered {r}"
        msg_id = r.ext["msgId"]
        return msg_id, int(r.ext["queueOffset"]), int(msg_id[-16:], 16), uniq

    def end(self, half, state, from_check=False, oneway=True):
        """END_TRANSACTION: one-way as the clients send it; two-way returns the broker's answer."""
        msg_id, queue_offset, commit_log_offset, uniq = half
        ext = {"producerGroup": self.group, "tranStateTableOffset": str(queue_offset),
               "commitLogOffset": str(commit_log_offset), "commitOrRollback": str(state),
               "fromTransactionCheck": "true" if from_check else "false", "msgId": uniq, "transactionId": uniq}
        if not oneway:
            return self.conn.call(request(37, ext))
        f = request(37, ext, flag=FLAG_ONEWAY)
        self.conn.next_opaque += 1
        f.header["opaque"] = self.conn.next_opaque
        self.conn.send(f)

    def checks(self, wait=0.0):
        """CHECK_TRANSACTION_STATE requests received so far (after reading for `wait` seconds)."""
        self.conn.drain(wait)
        return [f for _, f in self.conn.server_requests if f.code == 39]


def consumed(consumer, body):
    return [r for r in records_of(consumer, body) if r.get("status", "ok") == "ok"]


def settle(prod, topic, consumer, tag):
    """Send a plain message and wait for it: everything committed before it has had its chance to arrive."""
    body = f"control-{tag}"
    assert prod.send_sync(message(topic, body)).status == 0
    wait_for(lambda: consumed(consumer, body), 30, 0.05, f"control message {body}")


def test_commit_delivers_rollback_never(apus_factory, names, spawn_consumer):
    apus = apus_factory(CONFIG)
    topic = names.topic()
    consumer = spawn_consumer(apus.namesrv, names.group(), topic, "c1")
    tx = TxProducer(apus.broker_port, names.group("tx"))
    try:
        with producer(apus.namesrv, names.group("p")) as p:
            warm_up(p, topic, [consumer])
            committed = tx.prepare(topic, "tx-commit")
            rolled_back = tx.prepare(topic, "tx-rollback")
            settle(p, topic, consumer, "before-end")
            assert not consumed(consumer, "tx-commit"), "a half message is invisible before its commit"
            tx.end(committed, TRANSACTION_COMMIT)
            tx.end(rolled_back, TRANSACTION_ROLLBACK)
            wait_for(lambda: consumed(consumer, "tx-commit"), 30, 0.05, "the committed message")
            settle(p, topic, consumer, "after-end")
        got = consumed(consumer, "tx-commit")[0]
        assert got["topic"] == topic and got["id"] == committed[3], "committed with its topic and UNIQ_KEY id"
        assert not consumed(consumer, "tx-rollback"), "a rolled-back message is never delivered"
        assert not tx.checks(0.5), "resolved halves are never checked"
    finally:
        tx.close()


def test_unknown_is_checked_back_and_committed(apus_factory, names, spawn_consumer):
    apus = apus_factory(CONFIG)
    topic = names.topic()
    consumer = spawn_consumer(apus.namesrv, names.group(), topic, "c1")
    tx = TxProducer(apus.broker_port, names.group("tx"))
    try:
        with producer(apus.namesrv, names.group("p")) as p:
            warm_up(p, topic, [consumer])
            half = tx.prepare(topic, "tx-unknown", props={"KEYS": "k-unknown"})
            tx.end(half, 0)  # LocalTransactionState.UNKNOW
            sent = time.monotonic()
            wait_for(lambda: tx.checks(0.05), 15, 0.0, "CHECK_TRANSACTION_STATE (39)")
            waited = time.monotonic() - sent
            check = tx.checks()[0]
            assert check.is_oneway, "the broker sends the check one-way"
            assert int(check.ext["tranStateTableOffset"]) == half[1]
            assert int(check.ext["commitLogOffset"]) == half[2]
            assert check.ext["msgId"] == half[3] and check.ext.get("offsetMsgId") == half[0]
            record = decode_records(check.body)[0]
            assert (record["topic"], record["body"]) == (topic, b"tx-unknown"), "the check carries the real message"
            assert record["properties"].get("KEYS") == "k-unknown"
            assert waited >= 0.8, f"checked {waited:.2f}s after the send; transactionTimeOut is 1 s"
            assert not consumed(consumer, "tx-unknown")
            tx.end(half, TRANSACTION_COMMIT, from_check=True)
            wait_for(lambda: consumed(consumer, "tx-unknown"), 30, 0.05, "the message committed from the check")
            settle(p, topic, consumer, "after")
        assert len(consumed(consumer, "tx-unknown")) == 1
    finally:
        tx.close()


def test_unanswered_checks_stop_at_check_max_and_discard(apus_factory, names, spawn_consumer):
    apus = apus_factory(CONFIG)
    topic = names.topic()
    consumer = spawn_consumer(apus.namesrv, names.group(), topic, "c1")
    tx = TxProducer(apus.broker_port, names.group("tx"))
    try:
        with producer(apus.namesrv, names.group("p")) as p:
            warm_up(p, topic, [consumer])
            half = tx.prepare(topic, "tx-ignored")
            wait_for(lambda: len(tx.checks(0.05)) >= 3, 20, 0.0, "three checks (transactionCheckMax=3)")
            tx.checks(3.0)  # well past another check interval
            assert len(tx.checks()) == 3, "no check after transactionCheckMax"
            tx.end(half, TRANSACTION_COMMIT)  # too late: the half was discarded
            settle(p, topic, consumer, "after")
        assert not consumed(consumer, "tx-ignored"), "a discarded half is never delivered"
        assert "discarded" in apus.log_tail(400)
    finally:
        tx.close()


def test_halves_and_rollbacks_survive_kill9(apus_factory, names, spawn_consumer):
    apus = apus_factory({"transactionTimeOut": "60000", "transactionCheckInterval": "60000"})
    topic = names.topic()
    tx = TxProducer(apus.broker_port, names.group("tx"))
    try:
        with producer(apus.namesrv, names.group("p")) as p:
            assert p.send_sync(message(topic, "create-topic")).status == 0
        keep = tx.prepare(topic, "tx-survives")
        dropped = tx.prepare(topic, "tx-rolled-back")
        answer = tx.end(dropped, TRANSACTION_ROLLBACK, oneway=False)  # two-way: answered once the op is stored
        assert answer is not None and answer.code == 0, f"END_TRANSACTION answered {answer}"
    finally:
        tx.close()
    apus.kill9()
    apus.restart()
    consumer = spawn_consumer(apus.namesrv, names.group(), topic, "c1")
    tx = TxProducer(apus.broker_port, names.group("tx"))
    try:
        with producer(apus.namesrv, names.group("p")) as p:
            warm_up(p, topic, [consumer])
            tx.end(dropped, TRANSACTION_COMMIT)  # resolved before the crash: stays rolled back
            tx.end(keep, TRANSACTION_COMMIT)
            wait_for(lambda: consumed(consumer, "tx-survives"), 30, 0.05, "the half committed after kill -9")
            settle(p, topic, consumer, "after")
        assert not consumed(consumer, "tx-rolled-back"), "a rollback before kill -9 holds after it"
    finally:
        tx.close()


def test_bad_end_transaction_is_refused_and_the_broker_keeps_serving(apus_factory, names):
    apus = apus_factory(CONFIG)
    tx = TxProducer(apus.broker_port, names.group("tx"))
    try:
        missing = tx.conn.call(request(37, {"producerGroup": tx.group, "commitOrRollback": "8"}))
        assert missing is not None and missing.code == 1 and "tranStateTableOffset" in missing.remark
        unknown = tx.end(("X", 12345, 999_999_999, "U"), TRANSACTION_COMMIT, oneway=False)
        assert unknown is not None and unknown.code == 1 and "no unresolved half message" in unknown.remark
        half = tx.prepare(names.topic(), "wrong-group")
        other = TxProducer(apus.broker_port, names.group("other"))
        try:
            refused = other.end(half, TRANSACTION_COMMIT, oneway=False)
            assert refused is not None and refused.code == 1 and tx.group in refused.remark
        finally:
            other.close()
        assert tx.end(half, TRANSACTION_ROLLBACK, oneway=False).code == 0, "the right group still resolves it"
    finally:
        tx.close()
