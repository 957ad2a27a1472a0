# Conformance: the two roles as separate processes — `apus namesrv` and `apus broker --namesrv` — serve the real
# client: the broker registers, the topic is auto-created through TBW102, and a consumer receives what was sent.
import subprocess

from harness import apus_bin, free_ports, port_open, producer, send_sync_all, wait_for, wait_until_received


def test_separate_name_server_and_broker(tmp_path, names, spawn_consumer):
    namesrv_port, broker_port = free_ports(2)
    log = open(tmp_path / "roles.log", "wb")
    procs = [
        subprocess.Popen([apus_bin(), "namesrv", "--namesrv-port", str(namesrv_port)], stdout=log, stderr=log),
        subprocess.Popen([apus_bin(), "broker", "--namesrv", f"127.0.0.1:{namesrv_port}", "--broker-port",
                          str(broker_port), "--data-dir", str(tmp_path / "data")], stdout=log, stderr=log),
    ]
    consumer = None
    try:
        wait_for(lambda: port_open(namesrv_port) and port_open(broker_port), 20, what="both roles listening")
        wait_for(lambda: b"broker registered" in (tmp_path / "roles.log").read_bytes(), 20,
                 what="the broker's registration with the name server")
        namesrv = f"127.0.0.1:{namesrv_port}"
        topic = names.topic()
        bodies = [f"split-{i:03d}" for i in range(50)]
        with producer(namesrv, names.group("p")) as p:
            send_sync_all(p, topic, bodies)
        consumer = spawn_consumer(namesrv, names.group(), topic, "c1")
        wait_until_received([consumer], bodies)
    finally:
        if consumer is not None:
            consumer.stop()
        for proc in reversed(procs):
            proc.terminate()
        codes = [proc.wait(timeout=20) for proc in reversed(procs)]
        log.close()
    assert codes == [0, 0], f"both roles exit 0 on SIGTERM, got {codes}: {(tmp_path / 'roles.log').read_text()[-2000:]}"
