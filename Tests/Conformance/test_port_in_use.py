# Conformance: a port already in use ends `apus serve` / `apus namesrv` / `apus broker` with one
# line naming the port and the flag that changes it, and a non-zero exit (not NIO's
# `bind(descriptor:ptr:bytes:): Address already in use (errno: 98)`).
import re
import socket
import subprocess

import pytest

from harness import apus_bin, free_ports

# Log lines (swift-log's stream handler) that `apus` prints before the failing bind, e.g. the name
# server of `serve` listening before the broker's port turns out to be taken.
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\S+ (trace|debug|info|notice) apus: ")
EXIT_TIMEOUT = 30


def run_with_port_taken(args, tmp_path):
    """Run `apus args…` (PORT in args = a port a listening socket holds); returns (port, exit code, output)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cmd = [apus_bin()] + [str(port) if a == "PORT" else a for a in args]
        proc = subprocess.run(cmd, cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=EXIT_TIMEOUT)
    return port, proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("command,flag", [
    ("serve", "--namesrv-port"),
    ("serve", "--broker-port"),
    ("namesrv", "--namesrv-port"),
    ("broker", "--broker-port"),
])
def test_port_in_use_names_port_and_flag(tmp_path, command, flag):
    other_namesrv, other_broker = free_ports(2)
    args = {
        "serve": ["serve", "--host", "127.0.0.1", "--data-dir", str(tmp_path / "data"),
                  "--namesrv-port", str(other_namesrv), "--broker-port", str(other_broker)],
        "namesrv": ["namesrv", "--host", "127.0.0.1", "--namesrv-port", str(other_namesrv)],
        "broker": ["broker", "--host", "127.0.0.1", "--data-dir", str(tmp_path / "data"),
                   "--namesrv", f"127.0.0.1:{other_namesrv}", "--broker-port", str(other_broker)],
    }[command]
    args[args.index(flag) + 1] = "PORT"
    port, code, output = run_with_port_taken(args, tmp_path)

    expected = f"apus: port {port} is already in use; choose another with {flag}"
    lines = output.splitlines()
    assert code != 0, f"apus {command} exited 0 with port {port} taken:\n{output}"
    assert [line for line in lines if not LOG_LINE.match(line)] == [expected], output
    assert lines[-1] == expected, output
    if flag == "--namesrv-port":  # nothing starts before the name server: the line is all there is
        assert lines == [expected], output
