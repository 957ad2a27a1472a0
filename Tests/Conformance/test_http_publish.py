# Conformance: the ApsaraMQ HTTP API's PublishMessage with the real Python SDK (mq-http-sdk==1.0.3) against
# `apus serve --http-port`, received by a real C++ PushConsumer over remoting (cross-protocol HTTP → TCP):
# tag, key, user and system properties and an XML-hostile, non-ASCII body arrive intact; a timer message
# (start-deliver-time) is not delivered before its time; signatures are checked with aclEnable and an account
# (a wrong secret raises SignatureDoesNotMatch) and ignored without ACL.
import hashlib
import time

import pytest
from mq_http_sdk.mq_client import MQClient
from mq_http_sdk.mq_exception import MQExceptionBase
from mq_http_sdk.mq_producer import TopicMessage

from harness import port_open, producer, records_of, wait_for, warm_up

EARLY = 0.02  # seconds: millisecond rounding


def endpoint(server):
    return f"http://127.0.0.1:{server.http_port}"


def http_producer(server, topic, instance="", access_id="AK", secret="SK"):
    # The harness waits for the remoting ports; the HTTP server binds a moment later.
    wait_for(lambda: port_open(server.http_port), 10, 0.05, "the HTTP port")
    return MQClient(endpoint(server), access_id, secret).get_producer(instance, topic)


def first(consumer, body):
    got = records_of(consumer, body)
    return got[0] if got else None


def ready_consumer(server, names, spawn_consumer, topic, props=()):
    """A C++ push consumer with its queues assigned (warmed up by a TCP producer on the same topic)."""
    consumer = spawn_consumer(server.namesrv, names.group(), topic, "c1", props=props)
    with producer(server.namesrv, names.group("p")) as p:
        warm_up(p, topic, [consumer])
    return consumer


BODY = 'xml <&> "quoted" \'single\' ]]> 中文 ünïcødé ✓ end'


def test_publish_reaches_tcp_consumer_intact(apus, names, spawn_consumer):
    topic = names.topic()
    consumer = ready_consumer(apus, names, spawn_consumer, topic, props=("color", "__SHARDINGKEY"))
    msg = TopicMessage(BODY, "TagA")
    msg.set_message_key("order-7")
    msg.put_property("color", "blue")
    msg.set_sharding_key("shard-1")
    result = http_producer(apus, topic).publish_message(msg)
    assert result.message_id and len(result.message_id) == 32
    assert result.message_body_md5 == hashlib.md5(BODY.encode()).hexdigest().upper()
    got = wait_for(lambda: first(consumer, BODY), 30, 0.05, "the HTTP-published message at the TCP consumer")
    assert got["topic"] == topic
    assert got["tags"] == "TagA" and got["keys"] == "order-7"
    assert got["props"]["color"] == "blue" and got["props"]["__SHARDINGKEY"] == "shard-1"
    # The MessageId is the offset message id (store host, commit-log offset); the C++ client prints the host's
    # IPv4 bytes in the other order, so compare port and offset.
    assert got["id"][8:] == result.message_id[8:], "the HTTP MessageId is the message's offset id"


def test_instance_scoped_topic_meets_tcp_namespace(apus, names, spawn_consumer):
    instance, topic = "MQ_INST_1", names.topic()
    consumer = ready_consumer(apus, names, spawn_consumer, f"{instance}%{topic}")
    result = http_producer(apus, topic, instance).publish_message(TopicMessage("scoped-body", "T"))
    got = wait_for(lambda: first(consumer, "scoped-body"), 30, 0.05, "the instance-scoped message")
    assert got["topic"] == f"{instance}%{topic}" and got["id"][8:] == result.message_id[8:]


def test_timer_message_waits_for_start_deliver_time(apus, names, spawn_consumer):
    topic = names.topic()
    consumer = ready_consumer(apus, names, spawn_consumer, topic, props=("__STARTDELIVERTIME",))
    due_ms = int(time.time() * 1000) + 3000
    timer = TopicMessage("timer-http", "T")
    timer.set_start_deliver_time(due_ms)
    prod = http_producer(apus, topic)
    prod.publish_message(timer)
    prod.publish_message(TopicMessage("timer-http-control", "T"))
    wait_for(lambda: first(consumer, "timer-http"), 3 + 10, 0.05, "the timer message")
    got, control = first(consumer, "timer-http"), first(consumer, "timer-http-control")
    lateness = got["recv"] - due_ms / 1000
    assert lateness >= -EARLY, f"timer message delivered {-lateness:.2f}s before its start-deliver time"
    assert lateness <= 1.5, f"timer message delivered {lateness:.2f}s after its start-deliver time"
    assert control is not None and control["recv"] < got["recv"], "the untimed message is not held back"
    assert got["props"]["__STARTDELIVERTIME"] == str(due_ms)


def test_signatures_checked_with_acl(apus_factory, names):
    server = apus_factory({"aclEnable": "true", "accessKey": "AK_HTTP", "secretKey": "SK_HTTP"})
    topic = names.topic()
    ok = http_producer(server, topic, access_id="AK_HTTP", secret="SK_HTTP").publish_message(TopicMessage("signed", "T"))
    assert ok.message_id
    with pytest.raises(MQExceptionBase) as wrong:
        http_producer(server, topic, access_id="AK_HTTP", secret="not-the-secret").publish_message(TopicMessage("x", "T"))
    assert wrong.value.type == "SignatureDoesNotMatch"
    with pytest.raises(MQExceptionBase) as unknown:
        http_producer(server, topic, access_id="NOBODY", secret="SK_HTTP").publish_message(TopicMessage("x", "T"))
    assert unknown.value.type == "AccessDenied"


def test_any_credentials_without_acl(apus, names):
    result = http_producer(apus, names.topic(), access_id="whoever", secret="whatever").publish_message(
        TopicMessage("unsigned", "T"))
    assert result.message_id


def test_publish_errors_are_sdk_exceptions(apus, names):
    prod = http_producer(apus, names.topic())
    msg = TopicMessage("x", "T")
    msg.set_trans_check_immunity_time(301)  # __TransCheckT is 10..300 s (test_http_transactions.py covers the rest)
    with pytest.raises(MQExceptionBase) as trans:
        prod.publish_message(msg)
    assert trans.value.type == "InvalidArgument"
    bad = TopicMessage("x", "T")
    bad.put_property("__STARTDELIVERTIME", "soon")
    with pytest.raises(MQExceptionBase) as invalid:
        prod.publish_message(bad)
    assert invalid.value.type == "InvalidArgument"
