# A small RocketMQ remoting codec for the conformance tests: frames (length, serialize type +
# header length, JSON header, body), stored message records, Java batch bodies, property strings,
# and a blocking connection that matches responses by opaque. Spec: shared/spec/remoting.md 1.2,
# 2.6, 4.1, 4.4.
import json
import socket
import struct
import time
import zlib
from pathlib import Path

FLAG_RESPONSE = 1
FLAG_ONEWAY = 2
CAPTURES = Path(__file__).resolve().parent / "captures" / "java-4.9.8"

# ---------------------------------------------------------------------------------------- frames


class Frame:
    """One remoting frame. `header` is the parsed JSON header; `raw_header` keeps the exact text."""

    def __init__(self, header, body=b"", raw_header=None, serialize_type=0):
        self.header = header
        self.body = body
        self.raw_header = raw_header
        self.serialize_type = serialize_type

    code = property(lambda self: self.header.get("code"))
    opaque = property(lambda self: self.header.get("opaque"))
    flag = property(lambda self: self.header.get("flag", 0))
    remark = property(lambda self: self.header.get("remark"))
    ext = property(lambda self: self.header.get("extFields") or {})
    is_response = property(lambda self: bool(self.flag & FLAG_RESPONSE))
    is_oneway = property(lambda self: bool(self.flag & FLAG_ONEWAY))

    def encode(self):
        return encode_frame(self.header, self.body, self.serialize_type)

    def copy(self):
        return Frame(json.loads(json.dumps(self.header)), self.body, None, self.serialize_type)

    def copy_with_ext(self, **ext):
        f = self.copy()
        f.header.setdefault("extFields", {}).update(ext)
        return f

    def __repr__(self):
        return (f"Frame(code={self.code}, opaque={self.opaque}, flag={self.flag}, remark={self.remark!r}, "
                f"ext={self.ext}, body={len(self.body)}B)")


def encode_frame(header, body=b"", serialize_type=0):
    raw = header if isinstance(header, (bytes, bytearray)) else json.dumps(header, separators=(",", ":")).encode()
    return struct.pack(">II", 4 + len(raw) + len(body), (serialize_type << 24) | len(raw)) + bytes(raw) + body


def decode_frame(data):
    """Decode one complete frame (with its 4-byte length prefix)."""
    length, word = struct.unpack(">II", data[:8])
    assert length == len(data) - 4, f"length field {length} but {len(data) - 4} bytes follow"
    hlen = word & 0xFFFFFF
    raw = data[8:8 + hlen]
    return Frame(json.loads(raw), data[8 + hlen:], raw, word >> 24)


def request(code, ext=None, body=b"", opaque=0, flag=0, language="JAVA", version=409):
    header = {"code": code, "flag": flag, "language": language, "opaque": opaque,
              "serializeTypeCurrentRPC": "JSON", "version": version}
    if ext is not None:
        header["extFields"] = ext
    return Frame(header, body)


def load_frame(path):
    return decode_frame(Path(path).read_bytes())


# ------------------------------------------------------------------------------------ properties


def props_to_str(props, trailing=True):
    s = "\x02".join(f"{k}\x01{v}" for k, v in props.items())
    return s + ("\x02" if trailing and s else "")


def parse_props(s):
    """Java MessageDecoder.string2messageProperties: pairs split on \\x02 and \\x01; last key wins."""
    out = {}
    for item in s.split("\x02"):
        if not item:
            continue
        k, sep, v = item.partition("\x01")
        if sep:
            out[k] = v
    return out


# ------------------------------------------------------------------------------- stored records

MAGIC_V1 = 0xDAA320A7


def decode_records(body):
    """Stored message records (spec 4.1, IPv4 hosts) of a PULL_MESSAGE body."""
    records, pos = [], 0
    while pos < len(body):
        (total, magic, crc, qid, flag, qoff, phys, sysflag, born_ts) = struct.unpack_from(">IIiiiqqiq", body, pos)
        p = pos + 48
        born = (socket.inet_ntoa(body[p:p + 4]), struct.unpack_from(">i", body, p + 4)[0])
        store_ts = struct.unpack_from(">q", body, p + 8)[0]
        p += 16
        store = (socket.inet_ntoa(body[p:p + 4]), struct.unpack_from(">i", body, p + 4)[0])
        recons, prep, blen = struct.unpack_from(">iqi", body, p + 8)
        p += 24
        msg_body = body[p:p + blen]
        p += blen
        tlen = body[p]
        topic = body[p + 1:p + 1 + tlen].decode()
        p += 1 + tlen
        plen = struct.unpack_from(">h", body, p)[0]
        props_raw = body[p + 2:p + 2 + plen].decode()
        p += 2 + plen
        assert p - pos == total, f"record at {pos}: totalSize {total} but fields take {p - pos} bytes"
        records.append({"totalSize": total, "magicCode": magic, "bodyCRC": crc, "queueId": qid, "flag": flag,
                        "queueOffset": qoff, "physicalOffset": phys, "sysFlag": sysflag,
                        "bornTimestamp": born_ts, "bornHost": born, "storeTimestamp": store_ts,
                        "storeHost": store, "reconsumeTimes": recons, "preparedTransactionOffset": prep,
                        "body": msg_body, "topic": topic, "properties_raw": props_raw,
                        "properties": parse_props(props_raw)})
        pos = p
    return records


def body_crc(body):
    return zlib.crc32(body) & 0x7FFFFFFF


def encode_batch(messages):
    """Java MessageDecoder.encodeMessages: [(body bytes, properties string, flag)] -> batch body."""
    out = b""
    for body, props, flag in messages:
        p = props.encode()
        total = 4 + 4 + 4 + 4 + 4 + len(body) + 2 + len(p)
        out += struct.pack(">iiiii", total, 0, 0, flag, len(body)) + body + struct.pack(">h", len(p)) + p
    return out


def decode_batch(body):
    out, pos = [], 0
    while pos < len(body):
        total, _magic, _crc, flag, blen = struct.unpack_from(">iiiii", body, pos)
        b = body[pos + 20:pos + 20 + blen]
        plen = struct.unpack_from(">h", body, pos + 20 + blen)[0]
        props = body[pos + 22 + blen:pos + 22 + blen + plen].decode()
        out.append((b, props, flag))
        pos += total
    return out


# ---------------------------------------------------------------------------------- connection


class Conn:
    """A blocking client connection. Requests from the server (flag bit 0 clear, e.g. code 40) are
    kept in `server_requests`; responses are matched by opaque."""

    def __init__(self, port, host="127.0.0.1", timeout=5):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.responses = {}        # opaque -> [Frame] (a list: a broken server may answer twice)
        self.server_requests = []  # (monotonic time, Frame)
        self.closed = False
        self.next_opaque = 1_000_000

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, frame):
        self.sock.sendall(frame.encode() if isinstance(frame, Frame) else frame)

    def _read_one(self, deadline):
        """Read one frame before `deadline` (monotonic) and file it; False on timeout or EOF."""
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack(">I", self.buf[:4])[0]
                assert 4 <= n < 64 * 1024 * 1024, f"implausible frame length {n}"
                if len(self.buf) >= 4 + n:
                    data, self.buf = self.buf[:4 + n], self.buf[4 + n:]
                    f = decode_frame(data)
                    if f.is_response:
                        self.responses.setdefault(f.opaque, []).append(f)
                    else:
                        self.server_requests.append((time.monotonic(), f))
                    return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.closed:
                return False
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                chunk = b""
            if not chunk:
                self.closed = True
                return False
            self.buf += chunk

    def wait_response(self, opaque, timeout=5.0):
        deadline = time.monotonic() + timeout
        while not self.responses.get(opaque):
            if not self._read_one(deadline):
                return None
        return self.responses[opaque][0]

    def drain(self, duration):
        """Read (and file) whatever arrives during `duration` seconds."""
        deadline = time.monotonic() + duration
        while self._read_one(deadline):
            pass

    def call(self, frame, timeout=5.0):
        """Send a request (a fresh opaque is assigned) and return its response (None on timeout)."""
        f = frame.copy()
        self.next_opaque += 1
        f.header["opaque"] = self.next_opaque
        self.send(f)
        return self.wait_response(self.next_opaque, timeout)


def retry_until(fn, timeout, interval=0.2, what="condition"):
    """Call fn until it returns a truthy value; returns (value, elapsed). AssertionError on timeout."""
    start = time.monotonic()
    while True:
        v = fn()
        if v:
            return v, time.monotonic() - start
        if time.monotonic() - start >= timeout:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
