# Conformance: garbage, oversized and unknown frames on the broker and name-server ports are
# refused (connection closed / code 3) without hurting the server or other clients.
import json
import socket
import struct
import time

from harness import producer, send_sync_all, wait_until_received

GARBAGE = {
    "http": b"GET / HTTP/1.1\r\nHost: apus\r\n\r\n",  # reads as a ~1.2 GB frame length
    "header-longer-than-frame": struct.pack(">I", 16) + b"\xff\xff\xff\xff" + b"\x00" * 12,
    "non-json-header": struct.pack(">II", 4 + 12, 12) + b"not json at!",
    "20-MiB-frame": struct.pack(">II", 20 * 1024 * 1024, 100) + b"{" * 100,
}


def frame(code, opaque, ext=None, body=b""):
    header = json.dumps({"code": code, "language": "CPP", "version": 63, "opaque": opaque,
                         "flag": 0, "remark": "", "extFields": ext or {}}).encode()
    return struct.pack(">II", 4 + len(header) + len(body), len(header)) + header + body


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise AssertionError(f"connection closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def read_frame(sock):
    length = struct.unpack(">I", recv_exactly(sock, 4))[0]
    assert 4 <= length < 16 * 1024 * 1024, f"implausible response length {length}"
    rest = recv_exactly(sock, length)
    header_len = struct.unpack(">I", rest[:4])[0] & 0xFFFFFF
    return json.loads(rest[4:4 + header_len]), rest[4 + header_len:]


def assert_closed_by_peer(sock, timeout=10):
    """The server must close the connection (EOF or reset); whatever it sends first is ignored."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"connection still open {timeout}s after the bad input")
        sock.settimeout(remaining)
        try:
            if not sock.recv(65536):
                return
        except (ConnectionResetError, BrokenPipeError):
            return
        except socket.timeout:
            continue


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def test_bad_input_is_refused_and_server_keeps_serving(apus, names, spawn_consumer):
    # A well-formed request with an unknown code gets REQUEST_CODE_NOT_SUPPORTED (3) and a remark.
    with connect(apus.broker_port) as s:
        s.sendall(frame(9999, 4242))
        header, _ = read_frame(s)
        assert header["code"] == 3, header
        assert header["opaque"] == 4242
        assert header["flag"] & 1, "response flag bit must be set"
        assert header.get("remark"), "a remark should say what went wrong"
        s.sendall(frame(9998, 4243))  # the connection stays usable
        header, _ = read_frame(s)
        assert (header["code"], header["opaque"]) == (3, 4243)

    # Garbage and a frame announcing 20 MiB get the connection closed, on both ports.
    for port, role in ((apus.broker_port, "broker"), (apus.namesrv_port, "name server")):
        for kind, data in GARBAGE.items():
            with connect(port) as s:
                try:
                    s.sendall(data)
                except (ConnectionResetError, BrokenPipeError):
                    continue  # closed before we finished writing
                try:
                    assert_closed_by_peer(s)
                except AssertionError as e:
                    raise AssertionError(f"{role}, {kind}: {e}") from None
            assert apus.alive(), f"apus died after {kind} on the {role} port"

    # Both still serve real clients.
    topic = names.topic()
    bodies = [f"after-bad-input-{i}" for i in range(20)]
    with producer(apus.namesrv, names.group("p")) as p:
        send_sync_all(p, topic, bodies)
        consumer = spawn_consumer(apus.namesrv, names.group(), topic, "c1")
        wait_until_received([consumer], bodies)
