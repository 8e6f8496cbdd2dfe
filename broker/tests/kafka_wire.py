"""Minimal hand-rolled Kafka wire helpers for raw-socket tests.

Only what the tests need: CRC-32C, zigzag varints, RecordBatch v2 building and parsing,
request framing (header v1, and v2 for flexible versions), Produce v3, ApiVersions v0,
InitProducerId v0, and the group APIs (JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
OffsetCommit, OffsetFetch v1/v5/v8, FindCoordinator v0/v1/v4, DescribeGroups, ListGroups v0/v4,
OffsetDelete v0, DeleteGroups v2) with the consumer protocol's subscription and assignment.
"""

import socket
import struct
import time

# ---------------------------------------------------------------------- CRC-32C
_CRC32C_POLY = 0x82F63B78  # reflected Castagnoli polynomial


def _make_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _CRC32C_POLY if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _make_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    t = _CRC32C_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283, "crc32c self-check failed"


# ---------------------------------------------------------------------- varints
def zigzag_varint(n):
    z = (n << 1) ^ (n >> 63)
    z &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_varint(buf, pos):
    shift = 0
    z = 0
    while True:
        b = buf[pos]
        pos += 1
        z |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
    return (z >> 1) ^ -(z & 1), pos


def uvarint(n):
    """Unsigned varint (flexible versions' lengths and tag counts)."""
    assert n >= 0
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_uvarint(buf, pos):
    shift = 0
    v = 0
    while True:
        b = buf[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        if not b & 0x80:
            return v, pos
        shift += 7


# ---------------------------------------------------------------------- RecordBatch v2
def encode_record(offset_delta, key, value, timestamp_delta=0, headers=()):
    body = bytearray()
    body += struct.pack(">b", 0)  # attributes
    body += zigzag_varint(timestamp_delta)
    body += zigzag_varint(offset_delta)
    if key is None:
        body += zigzag_varint(-1)
    else:
        body += zigzag_varint(len(key)) + key
    if value is None:
        body += zigzag_varint(-1)
    else:
        body += zigzag_varint(len(value)) + value
    body += zigzag_varint(len(headers))
    for hk, hv in headers:
        body += zigzag_varint(len(hk)) + hk + zigzag_varint(len(hv)) + hv
    return zigzag_varint(len(body)) + bytes(body)


def record_batch(records, base_offset=0, producer_id=-1, producer_epoch=-1, base_sequence=-1,
                 timestamp=None, attributes=0, partition_leader_epoch=-1):
    """records: list of (key, value) bytes (either may be None). Returns the batch bytes."""
    if timestamp is None:
        timestamp = int(time.time() * 1000)
    recs = b"".join(encode_record(i, k, v) for i, (k, v) in enumerate(records))
    after_crc = struct.pack(">hiqqqhii", attributes, len(records) - 1, timestamp, timestamp,
                            producer_id, producer_epoch, base_sequence, len(records)) + recs
    crc = crc32c(after_crc)
    after_length = struct.pack(">ibI", partition_leader_epoch, 2, crc) + after_crc
    return struct.pack(">qi", base_offset, len(after_length)) + after_length


BATCH_HEADER = struct.Struct(">qiibIhiqqqhii")  # 61 bytes


def parse_batches(data):
    """Parse concatenated batches; returns list of dicts. Stops at a partial batch."""
    out = []
    pos = 0
    while pos + 12 <= len(data):
        base_offset, length = struct.unpack_from(">qi", data, pos)
        end = pos + 12 + length
        if length < 49 or end > len(data):
            break
        (_, _, _, magic, crc, attrs, last_delta, base_ts, max_ts, pid, epoch, seq,
         count) = BATCH_HEADER.unpack_from(data, pos)
        out.append(dict(position=pos, size=end - pos, base_offset=base_offset, magic=magic,
                        crc=crc, crc_ok=crc32c(data[pos + 21:end]) == crc, attributes=attrs,
                        last_offset_delta=last_delta, count=count, producer_id=pid,
                        base_sequence=seq, records=(data[pos + 61:end])))
        pos = end
    return out


def parse_records(batch):
    """Records of an uncompressed batch dict from parse_batches -> list of (offset, key, value)."""
    buf = batch["records"]
    pos = 0
    out = []
    for _ in range(batch["count"]):
        length, pos = read_varint(buf, pos)
        end = pos + length
        pos += 1  # attributes
        _, pos = read_varint(buf, pos)  # timestamp delta
        od, pos = read_varint(buf, pos)
        kl, pos = read_varint(buf, pos)
        key = None if kl < 0 else bytes(buf[pos:pos + kl])
        pos += max(kl, 0)
        vl, pos = read_varint(buf, pos)
        value = None if vl < 0 else bytes(buf[pos:pos + vl])
        pos = end
        out.append((batch["base_offset"] + od, key, value))
    return out


# ---------------------------------------------------------------------- framing
def kstring(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">h", len(b)) + b


def request_header_v1(api_key, api_version, correlation_id, client_id="tern-test"):
    return struct.pack(">hhi", api_key, api_version, correlation_id) + kstring(client_id)


def request_header_v2(api_key, api_version, correlation_id, client_id="tern-test"):
    """Request header v2 (flexible requests): v1 (client_id stays an int16-length string)
    followed by an empty tagged-field section."""
    return request_header_v1(api_key, api_version, correlation_id, client_id) + b"\x00"


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


class Conn:
    """A raw Kafka connection with a socket timeout."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.corr = 0

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def request(self, api_key, api_version, body, client_id="tern-test", flexible=False):
        """Send a request (header v2 when `flexible`, else v1); returns its correlation id."""
        self.corr += 1
        header = (request_header_v2 if flexible else request_header_v1)(
            api_key, api_version, self.corr, client_id)
        self.send_raw(frame(header + body))
        return self.corr

    def recv_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError(f"connection closed after {len(buf)} of {n} bytes")
            buf += chunk
        return bytes(buf)

    def recv_frame(self):
        (size,) = struct.unpack(">i", self.recv_exact(4))
        return self.recv_exact(size)

    def roundtrip(self, api_key, api_version, body, flexible=False):
        """Request/response; returns the response body (after header v0, or v1 when
        `flexible`: the correlation id and its tagged-field section)."""
        corr = self.request(api_key, api_version, body, flexible=flexible)
        resp = self.recv_frame()
        (rcorr,) = struct.unpack_from(">i", resp, 0)
        assert rcorr == corr, f"correlation id {rcorr} != {corr}"
        if not flexible:
            return resp[4:]
        r = Reader(resp, 4)
        r.tagged_fields()
        return resp[r.pos:]

    def is_closed_by_peer(self, timeout=10.0):
        """True if the peer closes the connection (EOF or reset) within timeout."""
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                data = self.sock.recv(65536)
                if not data:
                    return True
                # Unexpected data (a response); keep reading until closed.
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
        return False


# ---------------------------------------------------------------------- APIs
PRODUCE, FETCH, LIST_OFFSETS, METADATA = 0, 1, 2, 3
API_VERSIONS, CREATE_TOPICS, INIT_PRODUCER_ID = 18, 19, 22


def produce_v3_body(topic, partition, records_bytes, acks=-1, timeout_ms=10000,
                    transactional_id=None):
    body = kstring(transactional_id) + struct.pack(">hi", acks, timeout_ms)
    body += struct.pack(">i", 1) + kstring(topic)
    body += struct.pack(">i", 1) + struct.pack(">i", partition)
    if records_bytes is None:
        body += struct.pack(">i", -1)
    else:
        body += struct.pack(">i", len(records_bytes)) + records_bytes
    return body


def parse_produce_v3_response(body):
    """-> list of (topic, partition, error_code, base_offset, log_append_time), throttle."""
    pos = 0
    (nt,) = struct.unpack_from(">i", body, pos)
    pos += 4
    out = []
    for _ in range(nt):
        (ln,) = struct.unpack_from(">h", body, pos)
        pos += 2
        name = body[pos:pos + ln].decode()
        pos += ln
        (np_,) = struct.unpack_from(">i", body, pos)
        pos += 4
        for _ in range(np_):
            idx, err, base, lat = struct.unpack_from(">ihqq", body, pos)
            pos += 22
            out.append((name, idx, err, base, lat))
    (throttle,) = struct.unpack_from(">i", body, pos)
    return out, throttle


def produce(conn, topic, partition, batch, acks=-1):
    """Produce v3 one batch; returns (error_code, base_offset)."""
    resp = conn.roundtrip(PRODUCE, 3, produce_v3_body(topic, partition, batch, acks=acks))
    parts, _ = parse_produce_v3_response(resp)
    assert len(parts) == 1, parts
    _, idx, err, base, _ = parts[0]
    assert idx == partition
    return err, base


def create_topics_v2_body(name, partitions, replication_factor, timeout_ms=15000):
    return (struct.pack(">i", 1) + kstring(name) + struct.pack(">ihii", partitions,
                                                                  replication_factor, 0, 0)
            + struct.pack(">ib", timeout_ms, 0))


def parse_create_topics_v2_response(body):
    """-> [(name, error_code)]"""
    pos = 4  # throttle_time_ms
    (n,) = struct.unpack_from(">i", body, pos)
    pos += 4
    out = []
    for _ in range(n):
        (ln,) = struct.unpack_from(">h", body, pos)
        name = body[pos + 2:pos + 2 + ln].decode()
        pos += 2 + ln
        (err, mlen) = struct.unpack_from(">hh", body, pos)
        pos += 4 + max(mlen, 0)
        out.append((name, err))
    return out


def pipelined_produces(conn, topic, partition, batches, acks=-1, then_metadata=True):
    """Sends every batch as its own Produce v3 request without waiting, then (optionally) a
    Metadata v1 request; returns [(correlation_id, response body)] in arrival order, after
    the Metadata response (or the last expected Produce response). `acks`: one value for
    every batch, or a list with one per batch (acks=0 requests get no response)."""
    per_batch = acks if isinstance(acks, list) else [acks] * len(batches)
    for b, a in zip(batches, per_batch):
        conn.request(PRODUCE, 3, produce_v3_body(topic, partition, b, acks=a))
    expected = sum(1 for a in per_batch if a != 0)
    if then_metadata:
        conn.request(METADATA, 1, struct.pack(">i", 1) + kstring(topic))
        expected += 1
    out = []
    for _ in range(expected):
        resp = conn.recv_frame()
        (corr,) = struct.unpack_from(">i", resp, 0)
        out.append((corr, resp[4:]))
    return out


def parse_api_versions_v0_response(body):
    """-> (error_code, {api_key: (min, max)})"""
    err, n = struct.unpack_from(">hi", body, 0)
    pos = 6
    keys = {}
    for _ in range(max(n, 0)):
        k, lo, hi = struct.unpack_from(">hhh", body, pos)
        pos += 6
        keys[k] = (lo, hi)
    return err, keys


def init_producer_id_v0(conn, transactional_id=None, timeout_ms=60000):
    """-> (error_code, producer_id, producer_epoch)"""
    resp = conn.roundtrip(INIT_PRODUCER_ID, 0, kstring(transactional_id) +
                          struct.pack(">i", timeout_ms))
    _, err, pid, epoch = struct.unpack_from(">ihqh", resp, 0)
    return err, pid, epoch


def metadata_v1(conn, topics):
    """Metadata v1 (no auto-create field; v1..v3 auto-create per broker config).

    Returns {topic: (error_code, n_partitions)}.
    """
    body = struct.pack(">i", len(topics)) + b"".join(kstring(t) for t in topics)
    resp = conn.roundtrip(METADATA, 1, body)
    pos = 0
    (nb,) = struct.unpack_from(">i", resp, pos)
    pos += 4
    for _ in range(nb):
        pos += 4  # node id
        (ln,) = struct.unpack_from(">h", resp, pos)
        pos += 2 + ln + 4  # host, port
        (ln,) = struct.unpack_from(">h", resp, pos)
        pos += 2 + max(ln, 0)  # rack
    pos += 4  # controller id
    (nt,) = struct.unpack_from(">i", resp, pos)
    pos += 4
    out = {}
    for _ in range(nt):
        err, ln = struct.unpack_from(">hh", resp, pos)
        pos += 4
        name = resp[pos:pos + ln].decode()
        pos += ln + 1  # is_internal
        (np_,) = struct.unpack_from(">i", resp, pos)
        pos += 4
        for _ in range(np_):
            pos += 2 + 4 + 4  # err, index, leader
            for _ in range(2):  # replicas, isr
                (na,) = struct.unpack_from(">i", resp, pos)
                pos += 4 + 4 * na
        out[name] = (err, np_)
    return out


def fetch_v4_body(topic, partition, offset, max_bytes=50 * 1024 * 1024, partition_max=10 * 1024 * 1024,
                  max_wait_ms=500, min_bytes=1):
    body = struct.pack(">iiiib", -1, max_wait_ms, min_bytes, max_bytes, 0)
    body += struct.pack(">i", 1) + kstring(topic)
    body += struct.pack(">i", 1) + struct.pack(">iqi", partition, offset, partition_max)
    return body


# ---------------------------------------------------------------------- group APIs
# Layouts from Kafka's clients/src/main/resources/common/message/*.json (non-flexible
# versions only: JoinGroup v0-5, SyncGroup v0-3, Heartbeat v0-3, LeaveGroup v0-3,
# OffsetCommit v0-7, OffsetFetch v0-5, DescribeGroups v0-4, ListGroups v0-2).
OFFSET_COMMIT, OFFSET_FETCH, FIND_COORDINATOR = 8, 9, 10
JOIN_GROUP, HEARTBEAT, LEAVE_GROUP, SYNC_GROUP = 11, 12, 13, 14
DESCRIBE_GROUPS, LIST_GROUPS = 15, 16


def kbytes(b):
    if b is None:
        return struct.pack(">i", -1)
    return struct.pack(">i", len(b)) + b


def karray(items, encode):
    if items is None:
        return struct.pack(">i", -1)
    return struct.pack(">i", len(items)) + b"".join(encode(x) for x in items)


class Reader:
    """Sequential reader of a non-flexible response body."""

    def __init__(self, buf, pos=0):
        self.buf = buf
        self.pos = pos

    def _unpack(self, fmt):
        v = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0]

    def i8(self):
        return self._unpack(">b")

    def i16(self):
        return self._unpack(">h")

    def i32(self):
        return self._unpack(">i")

    def i64(self):
        return self._unpack(">q")

    def string(self):
        n = self.i16()
        if n < 0:
            return None
        s = self.buf[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def bytes_(self):
        n = self.i32()
        if n < 0:
            return None
        b = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return b

    def array(self, read_one):
        n = self.i32()
        if n < 0:
            return None
        return [read_one(self) for _ in range(n)]

    def at_end(self):
        return self.pos == len(self.buf)

    # Flexible versions: compact strings/arrays (unsigned varint length + 1) and tagged fields.
    def uvarint(self):
        v, self.pos = read_uvarint(self.buf, self.pos)
        return v

    def compact_string(self):
        n = self.uvarint() - 1
        if n < 0:
            return None
        s = self.buf[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def compact_array(self, read_one):
        n = self.uvarint() - 1
        if n < 0:
            return None
        return [read_one(self) for _ in range(n)]

    def tagged_fields(self):
        """Skip a tagged-field section; returns {tag: bytes}."""
        out = {}
        for _ in range(self.uvarint()):
            tag = self.uvarint()
            size = self.uvarint()
            out[tag] = bytes(self.buf[self.pos:self.pos + size])
            self.pos += size
        return out


# Consumer protocol (the "consumer" protocol type's metadata and assignment, version 0).
def consumer_subscription(topics, user_data=None):
    return struct.pack(">h", 0) + karray(topics, kstring) + kbytes(user_data)


def consumer_assignment(assignment, user_data=None):
    """assignment: {topic: [partitions]} -> ConsumerProtocolAssignment v0 bytes."""
    def topic(item):
        t, parts = item
        return kstring(t) + karray(parts, lambda p: struct.pack(">i", p))
    return struct.pack(">h", 0) + karray(sorted(assignment.items()), topic) + kbytes(user_data)


def parse_consumer_assignment(data):
    """ConsumerProtocolAssignment (any version) -> {topic: sorted partitions}; {} if empty."""
    if not data:
        return {}
    r = Reader(data)
    r.i16()
    out = {}
    for t, parts in r.array(lambda r: (r.string(), r.array(lambda r: r.i32()))):
        out[t] = sorted(parts)
    return out


def join_group_body(version, group_id, member_id="", protocols=(("range", b""),),
                    protocol_type="consumer", session_timeout_ms=10000,
                    rebalance_timeout_ms=10000, group_instance_id=None):
    body = kstring(group_id) + struct.pack(">i", session_timeout_ms)
    if version >= 1:
        body += struct.pack(">i", rebalance_timeout_ms)
    body += kstring(member_id)
    if version >= 5:
        body += kstring(group_instance_id)
    body += kstring(protocol_type)
    body += karray(list(protocols), lambda p: kstring(p[0]) + kbytes(p[1]))
    return body


def parse_join_group_response(version, body):
    r = Reader(body)
    out = {}
    if version >= 2:
        out["throttle_ms"] = r.i32()
    out["error"] = r.i16()
    out["generation"] = r.i32()
    out["protocol"] = r.string()
    out["leader"] = r.string()
    out["member_id"] = r.string()

    def member(r):
        m = {"member_id": r.string()}
        if version >= 5:
            m["group_instance_id"] = r.string()
        m["metadata"] = r.bytes_()
        return m
    out["members"] = r.array(member)
    assert r.at_end(), f"JoinGroup v{version} response has {len(body) - r.pos} extra bytes"
    return out


def send_join_group(conn, version=5, **kw):
    """Send JoinGroup without waiting (it blocks until the rebalance completes)."""
    return conn.request(JOIN_GROUP, version, join_group_body(version, **kw))


def recv_response(conn, corr):
    resp = conn.recv_frame()
    (rcorr,) = struct.unpack_from(">i", resp, 0)
    assert rcorr == corr, f"correlation id {rcorr} != {corr}"
    return resp[4:]


def join_group(conn, version=5, **kw):
    corr = send_join_group(conn, version, **kw)
    return parse_join_group_response(version, recv_response(conn, corr))


def sync_group_body(group_id, generation, member_id, assignments=None, group_instance_id=None):
    """assignments: {member_id: assignment bytes} (the leader's), SyncGroup v3."""
    body = kstring(group_id) + struct.pack(">i", generation) + kstring(member_id)
    body += kstring(group_instance_id)
    body += karray(sorted((assignments or {}).items()), lambda a: kstring(a[0]) + kbytes(a[1]))
    return body


def send_sync_group_v3(conn, *args, **kw):
    return conn.request(SYNC_GROUP, 3, sync_group_body(*args, **kw))


def parse_sync_group_v3_response(body):
    """-> (error_code, assignment bytes)"""
    r = Reader(body)
    r.i32()
    err = r.i16()
    assignment = r.bytes_()
    return err, assignment


def sync_group_v3(conn, *args, **kw):
    corr = send_sync_group_v3(conn, *args, **kw)
    return parse_sync_group_v3_response(recv_response(conn, corr))


def heartbeat_v3(conn, group_id, generation, member_id, group_instance_id=None):
    body = (kstring(group_id) + struct.pack(">i", generation) + kstring(member_id) +
            kstring(group_instance_id))
    r = Reader(conn.roundtrip(HEARTBEAT, 3, body))
    r.i32()
    return r.i16()


def leave_group_v3(conn, group_id, members):
    """members: [(member_id, group_instance_id)] -> (error, [(member_id, instance_id, error)])"""
    body = kstring(group_id) + karray(list(members), lambda m: kstring(m[0]) + kstring(m[1]))
    r = Reader(conn.roundtrip(LEAVE_GROUP, 3, body))
    r.i32()
    err = r.i16()
    return err, r.array(lambda r: (r.string(), r.string(), r.i16()))


def offset_commit_v7(conn, group_id, generation, member_id, offsets, group_instance_id=None):
    """offsets: {(topic, partition): offset or (offset, metadata)} -> {(topic, p): error}."""
    by_topic = {}
    for (t, p), v in sorted(offsets.items()):
        off, meta = v if isinstance(v, tuple) else (v, "")
        by_topic.setdefault(t, []).append((p, off, meta))

    def part(x):
        p, off, meta = x
        return struct.pack(">iqi", p, off, -1) + kstring(meta)
    body = (kstring(group_id) + struct.pack(">i", generation) + kstring(member_id) +
            kstring(group_instance_id) +
            karray(list(by_topic.items()), lambda t: kstring(t[0]) + karray(t[1], part)))
    r = Reader(conn.roundtrip(OFFSET_COMMIT, 7, body))
    r.i32()
    out = {}
    for name, parts in r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i16())))):
        for p, err in parts:
            out[(name, p)] = err
    return out


def offset_fetch_v5(conn, group_id, partitions=None):
    """partitions: {topic: [partitions]} or None (all) ->
    (error, {(topic, p): (offset, leader_epoch, metadata, error)})."""
    topics = None if partitions is None else sorted(partitions.items())
    body = kstring(group_id) + karray(
        topics, lambda t: kstring(t[0]) + karray(list(t[1]), lambda p: struct.pack(">i", p)))
    r = Reader(conn.roundtrip(OFFSET_FETCH, 5, body))
    r.i32()
    out = {}

    def part(r):
        return r.i32(), (r.i64(), r.i32(), r.string(), r.i16())
    for name, parts in r.array(lambda r: (r.string(), r.array(part))):
        for p, v in parts:
            out[(name, p)] = v
    err = r.i16()
    return err, out


def committed_offsets(conn, group_id, partitions=None):
    """{(topic, p): offset} of a group's committed offsets (-1 = none), failing on errors."""
    err, parts = offset_fetch_v5(conn, group_id, partitions)
    assert err == 0, f"OffsetFetch({group_id}) error {err}"
    bad = {k: v for k, v in parts.items() if v[3] != 0}
    assert not bad, f"OffsetFetch({group_id}) partition errors {bad}"
    return {k: v[0] for k, v in parts.items()}


def describe_groups_v0(conn, groups):
    """-> [{error, group_id, state, protocol_type, protocol, members: [{member_id, client_id,
    client_host, metadata, assignment}]}]"""
    r = Reader(conn.roundtrip(DESCRIBE_GROUPS, 0, karray(list(groups), kstring)))

    def member(r):
        return {"member_id": r.string(), "client_id": r.string(), "client_host": r.string(),
                "metadata": r.bytes_(), "assignment": r.bytes_()}

    def group(r):
        return {"error": r.i16(), "group_id": r.string(), "state": r.string(),
                "protocol_type": r.string(), "protocol": r.string(),
                "members": r.array(member)}
    return r.array(group)


def list_groups_v0(conn):
    """-> (error, {group_id: protocol_type})"""
    r = Reader(conn.roundtrip(LIST_GROUPS, 0, b""))
    err = r.i16()
    return err, dict(r.array(lambda r: (r.string(), r.string())))


# ---------------------------------------------------------------------- more group APIs
# OffsetFetch v1/v8, FindCoordinator v0/v1/v4, OffsetDelete v0, ListGroups v4, DeleteGroups v2.
# Flexible versions (OffsetFetch 6+, FindCoordinator 3+, ListGroups 3+, DeleteGroups 2+) use
# compact strings/arrays and end every struct with a tagged-field section.
DELETE_GROUPS, OFFSET_DELETE = 42, 47
TAGS = b"\x00"  # an empty tagged-field section


def compact_string(s):
    if s is None:
        return uvarint(0)
    b = s.encode() if isinstance(s, str) else s
    return uvarint(len(b) + 1) + b


def compact_array(items, encode):
    if items is None:
        return uvarint(0)
    return uvarint(len(items) + 1) + b"".join(encode(x) for x in items)


def offset_fetch_v1(conn, group_id, partitions):
    """partitions: {topic: [partitions]} -> {(topic, p): (offset, metadata, error)}.
    v1 has no null topic list, no throttle time and no top-level error."""
    body = kstring(group_id) + karray(
        sorted(partitions.items()),
        lambda t: kstring(t[0]) + karray(list(t[1]), lambda p: struct.pack(">i", p)))
    r = Reader(conn.roundtrip(OFFSET_FETCH, 1, body))
    out = {}

    def part(r):
        return r.i32(), (r.i64(), r.string(), r.i16())
    for name, parts in r.array(lambda r: (r.string(), r.array(part))):
        for p, v in parts:
            out[(name, p)] = v
    assert r.at_end(), f"OffsetFetch v1 response has {len(r.buf) - r.pos} extra bytes"
    return out


def offset_fetch_v8(conn, groups, require_stable=False):
    """groups: [(group_id, {topic: [partitions]} or None for all)] ->
    [(group_id, error, {(topic, p): (offset, leader_epoch, metadata, error)})] in response order."""
    def topic(t):
        return compact_string(t[0]) + compact_array(
            list(t[1]), lambda p: struct.pack(">i", p)) + TAGS

    def group(g):
        gid, parts = g
        topics = None if parts is None else sorted(parts.items())
        return compact_string(gid) + compact_array(topics, topic) + TAGS
    body = compact_array(list(groups), group) + struct.pack(">?", require_stable) + TAGS
    r = Reader(conn.roundtrip(OFFSET_FETCH, 8, body, flexible=True))
    r.i32()  # throttle

    def part(r):
        v = r.i32(), (r.i64(), r.i32(), r.compact_string(), r.i16())
        r.tagged_fields()
        return v

    def rtopic(r):
        v = r.compact_string(), r.compact_array(part)
        r.tagged_fields()
        return v

    def rgroup(r):
        gid = r.compact_string()
        parts = {}
        for name, ps in r.compact_array(rtopic):
            for p, v in ps:
                parts[(name, p)] = v
        err = r.i16()
        r.tagged_fields()
        return gid, err, parts
    out = r.compact_array(rgroup)
    r.tagged_fields()
    assert r.at_end(), f"OffsetFetch v8 response has {len(r.buf) - r.pos} extra bytes"
    return out


def find_coordinator_v0(conn, key):
    """-> {error, node_id, host, port}"""
    r = Reader(conn.roundtrip(FIND_COORDINATOR, 0, kstring(key)))
    out = {"error": r.i16(), "node_id": r.i32(), "host": r.string(), "port": r.i32()}
    assert r.at_end(), f"FindCoordinator v0 response has {len(r.buf) - r.pos} extra bytes"
    return out


def find_coordinator_v1(conn, key, key_type=0):
    """-> {error, error_message, node_id, host, port}"""
    r = Reader(conn.roundtrip(FIND_COORDINATOR, 1, kstring(key) + struct.pack(">b", key_type)))
    r.i32()  # throttle
    out = {"error": r.i16(), "error_message": r.string(), "node_id": r.i32(),
           "host": r.string(), "port": r.i32()}
    assert r.at_end(), f"FindCoordinator v1 response has {len(r.buf) - r.pos} extra bytes"
    return out


def find_coordinator_v4(conn, keys, key_type=0):
    """Batched keys -> [{key, node_id, host, port, error, error_message}] in response order."""
    body = struct.pack(">b", key_type) + compact_array(list(keys), compact_string) + TAGS
    r = Reader(conn.roundtrip(FIND_COORDINATOR, 4, body, flexible=True))
    r.i32()  # throttle

    def coordinator(r):
        c = {"key": r.compact_string(), "node_id": r.i32(), "host": r.compact_string(),
             "port": r.i32(), "error": r.i16(), "error_message": r.compact_string()}
        r.tagged_fields()
        return c
    out = r.compact_array(coordinator)
    r.tagged_fields()
    assert r.at_end(), f"FindCoordinator v4 response has {len(r.buf) - r.pos} extra bytes"
    return out


def offset_delete_v0(conn, group_id, partitions):
    """partitions: {topic: [partitions]} -> (error, {(topic, p): error})."""
    body = kstring(group_id) + karray(
        sorted(partitions.items()),
        lambda t: kstring(t[0]) + karray(list(t[1]), lambda p: struct.pack(">i", p)))
    r = Reader(conn.roundtrip(OFFSET_DELETE, 0, body))
    err = r.i16()
    r.i32()  # throttle
    out = {}
    for name, parts in r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i16())))):
        for p, e in parts:
            out[(name, p)] = e
    assert r.at_end(), f"OffsetDelete v0 response has {len(r.buf) - r.pos} extra bytes"
    return err, out


def list_groups_v4(conn, states=()):
    """states: the StatesFilter (empty = every group) -> (error, {group_id: (protocol_type,
    group_state)})."""
    body = compact_array(list(states), compact_string) + TAGS
    r = Reader(conn.roundtrip(LIST_GROUPS, 4, body, flexible=True))
    r.i32()  # throttle
    err = r.i16()

    def group(r):
        v = r.compact_string(), (r.compact_string(), r.compact_string())
        r.tagged_fields()
        return v
    groups = r.compact_array(group)
    r.tagged_fields()
    assert r.at_end(), f"ListGroups v4 response has {len(r.buf) - r.pos} extra bytes"
    return err, dict(groups)


def delete_groups_v2(conn, groups):
    """-> {group_id: error}"""
    body = compact_array(list(groups), compact_string) + TAGS
    r = Reader(conn.roundtrip(DELETE_GROUPS, 2, body, flexible=True))
    r.i32()  # throttle

    def result(r):
        v = r.compact_string(), r.i16()
        r.tagged_fields()
        return v
    out = r.compact_array(result)
    r.tagged_fields()
    assert r.at_end(), f"DeleteGroups v2 response has {len(r.buf) - r.pos} extra bytes"
    return dict(out)
