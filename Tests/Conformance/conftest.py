# pytest fixtures for the real-client conformance suite: a fresh `apus serve` per test, consumer
# subprocesses, per-test topic/group names, and a private HOME for every C++ client.
import os
import re
import shutil
import tempfile
import uuid

import pytest

# The C++ client writes ~/logs/rocketmq-cpp and ~/.rocketmq_offsets: point HOME at a private
# directory before librocketmq is loaded, in this process and (inherited) in every consumer.
CLIENT_HOME = tempfile.mkdtemp(prefix="apus-conformance-home-")
os.environ["HOME"] = CLIENT_HOME

from harness import ApusServer, ConsumerProc, stop_all  # noqa: E402  (after HOME is set)

SERVERS = pytest.StashKey[list]()
CONSUMERS = pytest.StashKey[list]()


def pytest_sessionfinish(session, exitstatus):
    if exitstatus == 0:
        shutil.rmtree(CLIENT_HOME, ignore_errors=True)
    else:
        print(f"\nC++ client logs kept in {CLIENT_HOME}/logs/rocketmq-cpp")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and rep.when in ("setup", "call"):
        for server in item.stash.get(SERVERS, []):
            rep.sections.append((f"apus log tail ({server.log_path})", server.log_tail(80)))
        for c in item.stash.get(CONSUMERS, []):
            rep.sections.append((f"consumer {c.name} stderr tail", c.log_tail(20)))


class Names:
    """Unique, legal topic and group names for one test (^[A-Za-z0-9_-]+$, at most 127 chars)."""

    def __init__(self, test_name):
        self.prefix = re.sub(r"[^A-Za-z0-9_-]", "_", test_name)[:60] + "_" + uuid.uuid4().hex[:8]

    def topic(self, suffix="t"):
        return f"{self.prefix}_{suffix}"

    def group(self, suffix="g"):
        return f"GID_{self.prefix}_{suffix}"


@pytest.fixture
def names(request):
    return Names(request.node.name)


@pytest.fixture
def apus_factory(request, tmp_path):
    """start(config=None) -> a running ApusServer; every server is stopped (SIGTERM) at teardown."""
    servers = request.node.stash.setdefault(SERVERS, [])

    def start(config=None):
        server = ApusServer(tmp_path / f"apus{len(servers)}", config)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def apus(apus_factory):
    return apus_factory()


@pytest.fixture
def spawn_consumer(request, tmp_path, apus_factory):  # depends on servers: consumers stop first
    """spawn_consumer(namesrv, group, topic, instance, **options) -> ConsumerProc; all are stopped at teardown."""
    consumers = request.node.stash.setdefault(CONSUMERS, [])

    def spawn(namesrv, group, topic, instance, **options):
        c = ConsumerProc(tmp_path, namesrv, group, topic, instance, **options)
        consumers.append(c)
        return c

    yield spawn
    # A clean shutdown can stall behind the broker's held pulls (the client's rebalance waits for
    # them); teardown does not need one, so it waits briefly and then kills.
    stop_all(consumers, timeout=10)
