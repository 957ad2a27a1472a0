# `apus admin` as a user runs it (admin.md §11): mqadmin's subcommand names, flags and layouts against a live
# `apus serve`. Commands whose broker request code is not implemented yet are skipped — detected from the
# broker's REQUEST_CODE_NOT_SUPPORTED answer (`CODE: 3`), never hardcoded — so these tests start asserting as
# soon as the broker side lands.
import json
import os
import re
import subprocess
import tempfile

import pytest

from harness import apus_bin, free_ports, message, producer, send_sync_all, wait_for, warm_up

NOT_SUPPORTED = re.compile(r"CODE: 3 +DESC: (.*)")
# consumerStatus writes each client's running info under ./<timestamp>/ as mqadmin does: not into the checkout.
ADMIN_CWD = tempfile.mkdtemp(prefix="apus-admin-")


def admin(*args, env=None, check=False):
    """Runs `apus admin ARGS` (APUS_ADMIN_BIN, default the served binary); returns the CompletedProcess (text)."""
    result = subprocess.run([os.environ.get("APUS_ADMIN_BIN") or apus_bin(), "admin", *args], capture_output=True, text=True,
                            timeout=60, env=env, cwd=ADMIN_CWD)
    if check:
        assert result.returncode == 0, f"apus admin {' '.join(args)} failed: {result.stderr}"
    return result


def admin_ok(*args):
    """Runs a command that must succeed, or skips the test when the broker does not implement its request code."""
    result = admin(*args)
    if result.returncode != 0:
        unsupported = NOT_SUPPORTED.search(result.stderr)
        if unsupported:
            pytest.skip(f"broker does not implement this admin request yet: {unsupported.group(1).strip()}")
    assert result.returncode == 0, f"apus admin {' '.join(args)} failed: {result.stderr}"
    return result


def admin_json(*args):
    return json.loads(admin_ok(*args, "--json").stdout)


def one_error_line(result):
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line, got: {result.stderr!r}"
    assert "Traceback" not in result.stderr and "Exception" not in result.stderr
    return lines[0]


# --- topics and clusters (17, 105, 106, 206: implemented today) ----------------------------------------------

def test_update_topic_without_broker_or_cluster_then_route_and_list(apus, names):
    topic = names.topic()
    out = admin("updateTopic", "-n", apus.namesrv, "-t", topic, "-r", "4", "-w", "4", check=True).stdout
    assert f"create topic to {apus.broker} success." in out
    assert (f"TopicConfig [topicName={topic}, readQueueNums=4, writeQueueNums=4, perm=RW-, "
            "topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false]") in out

    route = json.loads(admin("topicRoute", "-n", apus.namesrv, "-t", topic, "--json", check=True).stdout)
    assert [(q["readQueueNums"], q["writeQueueNums"], q["perm"]) for q in route["queueDatas"]] == [(4, 4, 6)]
    assert apus.broker in json.dumps(route["brokerDatas"])

    pretty = admin("topicRoute", "-n", apus.namesrv, "-t", topic, check=True).stdout
    assert '"readQueueNums":4' in pretty and '"writeQueueNums":4' in pretty
    assert f'0:"{apus.broker}"' in pretty  # fastjson's bare numeric brokerAddrs key

    table = admin("topicRoute", "-n", apus.namesrv, "-t", topic, "-l", check=True).stdout.splitlines()
    assert table[0].split() == ["#ClusterName", "#BrokerName", "#BrokerAddrs", "#ReadQueue", "#WriteQueue", "#Perm"]
    assert table[1].split()[2:5] == [f"{{0={apus.broker}}}", "4", "4"]
    assert table[-1].split() == ["Total:", "1", "4", "4"]

    listed = admin("topicList", "-n", apus.namesrv, check=True).stdout.splitlines()
    assert topic in listed
    assert topic in json.loads(admin("topicList", "-n", apus.namesrv, "--json", check=True).stdout)["topicList"]


def test_update_topic_order_and_explicit_broker(apus, names):
    topic = names.topic()
    out = admin("updateTopic", "-n", apus.namesrv, "-b", apus.broker, "-t", topic, "-r", "2", "-w", "2", "-o", "true",
                check=True).stdout
    assert f"create topic to {apus.broker} success." in out
    assert "order=true]" in out
    route = json.loads(admin("topicRoute", "-n", apus.namesrv, "-t", topic, "--json", check=True).stdout)
    assert {(q["readQueueNums"], q["writeQueueNums"]) for q in route["queueDatas"]} == {(2, 2)}


def test_update_topic_with_cluster_flag(apus, names):
    topic = names.topic()
    out = admin("updateTopic", "-n", apus.namesrv, "-c", "DefaultCluster", "-t", topic, "-r", "4", "-w", "4",
                check=True).stdout
    assert f"create topic to {apus.broker} success." in out
    bad = admin("updateTopic", "-n", apus.namesrv, "-c", "NoSuchCluster", "-t", topic)
    assert "Make sure the specified clusterName exists" in one_error_line(bad)


def test_cluster_list_shows_the_broker(apus):
    lines = admin("clusterList", "-n", apus.namesrv, check=True).stdout.splitlines()
    assert lines[0].split()[:4] == ["#Cluster", "Name", "#Broker", "Name"]
    row = lines[1].split()
    assert row[:4] == ["DefaultCluster", "broker-a", "0", apus.broker]
    data = json.loads(admin("clusterList", "-n", apus.namesrv, "--json", check=True).stdout)
    assert [(b["cluster"], b["brokerName"], b["brokerId"], b["addr"]) for b in data["brokers"]] == \
        [("DefaultCluster", "broker-a", 0, apus.broker)]


def test_namesrv_addr_from_environment(apus):
    env = dict(os.environ, NAMESRV_ADDR=apus.namesrv)
    result = admin("clusterList", env=env)
    assert result.returncode == 0, result.stderr
    assert apus.broker in result.stdout


# --- errors: one line, non-zero exit --------------------------------------------------------------------------

def test_bad_flag_is_one_line_and_non_zero(apus):
    result = admin("updateTopic", "-n", apus.namesrv, "-t", "T", "--no-such-flag", "1")
    line = one_error_line(result)
    assert "no-such-flag" in line
    assert result.stdout == ""
    missing = admin("topicRoute", "-n", apus.namesrv)
    assert "-t" in one_error_line(missing)
    assert "nosuch" in one_error_line(admin("nosuch"))


def test_unreachable_name_server_is_one_line_and_non_zero():
    (port,) = free_ports(1)
    for args in (["clusterList"], ["topicList"], ["updateTopic", "-t", "T", "-r", "4", "-w", "4"],
                 ["topicRoute", "-t", "T"], ["consumerProgress"]):
        result = admin(*args, "-n", f"127.0.0.1:{port}")
        line = one_error_line(result)
        assert f"127.0.0.1:{port}" in line and "connection refused" in line, line
        assert result.stdout == ""


def test_unknown_topic_route_is_one_line(apus, names):
    line = one_error_line(admin("topicRoute", "-n", apus.namesrv, "-t", names.topic("absent")))
    assert "CODE: 17" in line


def test_bad_reset_time_is_one_line(apus, names):
    line = one_error_line(admin("resetOffsetByTime", "-n", apus.namesrv, "-g", names.group(), "-t", names.topic(),
                                "-s", "yesterday"))
    assert "yyyy-MM-dd#HH:mm:ss:SSS" in line


# --- commands whose broker codes are being implemented (skip on REQUEST_CODE_NOT_SUPPORTED) -------------------

def test_topic_status_counts_messages(apus, names):
    topic = names.topic()
    admin("updateTopic", "-n", apus.namesrv, "-t", topic, "-r", "4", "-w", "4", check=True)
    with producer(apus.namesrv, names.group("p")) as p:
        send_sync_all(p, topic, [f"m{i}".encode() for i in range(8)])
    data = admin_json("topicStatus", "-n", apus.namesrv, "-t", topic)
    rows = data["offsetTable"]
    assert sorted(r["queueId"] for r in rows) == [0, 1, 2, 3]
    assert sum(r["maxOffset"] - r["minOffset"] for r in rows) == 8
    text = admin_ok("topicStatus", "-n", apus.namesrv, "-t", topic).stdout.splitlines()
    assert text[0].split() == ["#Broker", "Name", "#QID", "#Min", "Offset", "#Max", "Offset", "#Last", "Updated"]
    assert len(text) == 5


def test_update_and_delete_sub_group(apus, names):
    group = names.group()
    out = admin_ok("updateSubGroup", "-n", apus.namesrv, "-g", group, "-r", "3", "-d", "true", "-s", "false").stdout
    assert f"create subscription group to {apus.broker} success." in out
    assert (f"SubscriptionGroupConfig [groupName={group}, consumeEnable=false, consumeFromMinEnable=false, "
            "consumeBroadcastEnable=true, retryQueueNums=1, retryMaxTimes=3") in out
    out = admin_ok("deleteSubGroup", "-n", apus.namesrv, "-g", group).stdout
    assert f"delete subscription group [{group}] from broker [{apus.broker}] in cluster [DefaultCluster] success." in out


def test_delete_topic(apus, names):
    topic = names.topic()
    admin("updateTopic", "-n", apus.namesrv, "-t", topic, "-r", "4", "-w", "4", check=True)
    out = admin_ok("deleteTopic", "-n", apus.namesrv, "-t", topic).stdout
    assert f"delete topic [{topic}] from cluster [DefaultCluster] success." in out
    assert f"delete topic [{topic}] from NameServer success." in out
    assert topic not in admin("topicList", "-n", apus.namesrv, check=True).stdout.splitlines()


def test_broker_status_and_config(apus):
    status = admin_json("brokerStatus", "-n", apus.namesrv)
    assert apus.broker in status and "putTps" in status[apus.broker]
    config = admin_json("getBrokerConfig", "-n", apus.namesrv, "-b", apus.broker)
    assert config[apus.broker]
    text = admin_ok("getBrokerConfig", "-n", apus.namesrv, "-b", apus.broker).stdout
    assert text.startswith(f"============{apus.broker}============")


def test_query_messages_by_key_unique_key_offset_and_id(apus, names):
    topic = names.topic()
    admin("updateTopic", "-n", apus.namesrv, "-t", topic, "-r", "1", "-w", "1", check=True)
    with producer(apus.namesrv, names.group("p")) as p:
        result = p.send_sync(message(topic, b"payload", tags="TagA", keys="order-42"))
        assert result.status == 0
    # PULL_MESSAGE is implemented today.
    found = json.loads(admin("queryMsgByOffset", "-n", apus.namesrv, "-t", topic, "-b", "broker-a", "-i", "0", "-o", "0",
                             "--json", check=True).stdout)
    assert found["topic"] == topic and found["tags"] == "TagA" and found["keys"] == "order-42"
    assert found["body"] == "payload" and found["queueOffset"] == 0
    text = admin("queryMsgByOffset", "-n", apus.namesrv, "-t", topic, "-b", "broker-a", "-i", "0", "-o", "0",
                 check=True).stdout
    assert "Tags:                [TagA]" in text and "Keys:                [order-42]" in text
    offset_id = found["offsetMsgId"]

    by_id = admin_json("queryMsgById", "-n", apus.namesrv, "-i", offset_id)
    assert by_id[0]["topic"] == topic and by_id[0]["body"] == "payload"
    by_key = admin_json("queryMsgByKey", "-n", apus.namesrv, "-t", topic, "-k", "order-42")
    assert [m["queueOffset"] for m in by_key] == [0]
    by_unique = admin_json("queryMsgByUniqueKey", "-n", apus.namesrv, "-t", topic, "-i", result.msg_id)
    assert by_unique[0]["msgId"] == result.msg_id


def test_consumer_progress_connection_and_reset(apus, names, spawn_consumer):
    topic, group = names.topic(), names.group()
    admin("updateTopic", "-n", apus.namesrv, "-t", topic, "-r", "2", "-w", "2", check=True)
    consumer = spawn_consumer(apus.namesrv, group, topic, "c1")
    with producer(apus.namesrv, names.group("p")) as p:
        total = warm_up(p, topic, [consumer], per_queue=True) + 6
        send_sync_all(p, topic, [f"m{i}".encode() for i in range(6)])
    wait_for(lambda: len({r["body"] for r in consumer.records()}) >= 6, 60, what="6 messages consumed")

    connection = admin_json("consumerConnection", "-n", apus.namesrv, "-g", group)
    assert len(connection["connectionSet"]) == 1
    assert connection["messageModel"] == "CLUSTERING"

    def progressed():
        data = admin_json("consumerProgress", "-n", apus.namesrv, "-g", group)
        rows = [r for r in data["offsetTable"] if r["topic"] == topic]
        return data if sum(r["consumerOffset"] for r in rows) == total else None
    data = wait_for(progressed, 30, 0.5, "offsets committed")
    assert data["diffTotal"] == 0
    text = admin_ok("consumerProgress", "-n", apus.namesrv, "-g", group).stdout
    assert "Diff Total: 0" in text and "Consume TPS:" in text

    groups = admin_json("consumerProgress", "-n", apus.namesrv)["groups"]
    assert any(g["group"] == group and g["count"] == 1 and g["model"] == "CLUSTERING" for g in groups)

    reset = admin_json("resetOffsetByTime", "-n", apus.namesrv, "-g", group, "-t", topic, "-s", "0")
    assert reset["offsetTable"] and all(r["offset"] == 0 for r in reset["offsetTable"])
    skipped = admin_json("skipAccumulatedMessage", "-n", apus.namesrv, "-g", group, "-t", topic)
    assert sum(r["offset"] for r in skipped["offsetTable"]) == total


def test_reset_offset_of_broadcasting_group_fails_with_the_broker_message(apus, names, spawn_consumer):
    topic, group = names.topic(), names.group()
    admin("updateTopic", "-n", apus.namesrv, "-t", topic, "-r", "2", "-w", "2", check=True)
    consumer = spawn_consumer(apus.namesrv, group, topic, "b1", model="broadcasting")
    with producer(apus.namesrv, names.group("p")) as p:
        warm_up(p, topic, [consumer])
    result = admin("resetOffsetByTime", "-n", apus.namesrv, "-g", group, "-t", topic, "-s", "now")
    unsupported = NOT_SUPPORTED.search(result.stderr)
    if unsupported:
        pytest.skip(f"broker does not implement this admin request yet: {unsupported.group(1).strip()}")
    line = one_error_line(result)
    assert "CODE: 1 " in line, line


def test_stats_all_lists_the_topic(apus, names):
    topic = names.topic()
    admin("updateTopic", "-n", apus.namesrv, "-t", topic, "-r", "1", "-w", "1", check=True)
    stats = admin_json("statsAll", "-n", apus.namesrv, "-t", topic)["stats"]
    assert [s["topic"] for s in stats] == [topic]
    text = admin_ok("statsAll", "-n", apus.namesrv, "-t", topic).stdout.splitlines()
    assert text[0].split()[0] == "#Topic" and text[1].startswith(topic)


def test_every_command_accepts_json_and_help():
    for command in ["clusterList", "topicList", "topicRoute", "topicStatus", "updateTopic", "deleteTopic",
                    "updateSubGroup", "deleteSubGroup", "consumerProgress", "consumerConnection", "consumerStatus",
                    "producerConnection", "resetOffsetByTime", "skipAccumulatedMessage", "queryMsgById",
                    "queryMsgByKey", "queryMsgByUniqueKey", "queryMsgByOffset", "brokerStatus", "getBrokerConfig",
                    "updateBrokerConfig", "statsAll"]:
        result = admin(command, "--help")
        assert result.returncode == 0, command
        assert "--json" in result.stdout and "-n" in result.stdout, command
