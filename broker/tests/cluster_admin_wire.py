"""Raw requests for the partition-admin APIs that the Python clients here do not offer:
AlterPartitionReassignments v0, ListPartitionReassignments v0 (both flexible) and
ElectLeaders v1."""
import struct

import kafka_wire as kw

ELECT_LEADERS, ALTER_REASSIGNMENTS, LIST_REASSIGNMENTS = 43, 45, 46


def _compact_string(s):
    b = s.encode()
    return kw.uvarint(len(b) + 1) + b


def _compact_array(items, encode):
    if items is None:
        return kw.uvarint(0)
    return kw.uvarint(len(items) + 1) + b"".join(encode(i) for i in items)


def alter_reassignments(conn, moves, timeout_ms=30000):
    """moves: {(topic, partition): [replicas] or None (cancel)} -> {(topic, p): (error, msg)}."""
    topics = {}
    for (t, p), replicas in moves.items():
        topics.setdefault(t, []).append((p, replicas))
    body = struct.pack(">i", timeout_ms)
    body += _compact_array(sorted(topics.items()), lambda tp: _compact_string(tp[0]) + _compact_array(
        tp[1], lambda pr: struct.pack(">i", pr[0]) + _compact_array(
            pr[1], lambda r: struct.pack(">i", r)) + kw.uvarint(0)) + kw.uvarint(0))
    body += kw.uvarint(0)
    r = kw.Reader(conn.roundtrip(ALTER_REASSIGNMENTS, 0, body, flexible=True))
    r.i32()
    top_error = r.i16()
    r.compact_string()
    out = {}

    def topic(rr):
        name = rr.compact_string()

        def part(pr):
            idx, err, msg = pr.i32(), pr.i16(), pr.compact_string()
            pr.tagged_fields()
            out[(name, idx)] = (err, msg)
        rr.compact_array(part)
        rr.tagged_fields()
    r.compact_array(topic)
    assert top_error == 0, top_error
    return out


def list_reassignments(conn):
    """-> {(topic, p): (replicas, adding, removing)} for every partition being moved."""
    body = struct.pack(">i", 30000) + kw.uvarint(0) + kw.uvarint(0)  # null topics: all
    r = kw.Reader(conn.roundtrip(LIST_REASSIGNMENTS, 0, body, flexible=True))
    r.i32()
    assert r.i16() == 0
    r.compact_string()
    out = {}
    ints = lambda rr: rr.i32()

    def topic(rr):
        name = rr.compact_string()

        def part(pr):
            idx = pr.i32()
            out[(name, idx)] = (pr.compact_array(ints), pr.compact_array(ints),
                                pr.compact_array(ints))
            pr.tagged_fields()
        rr.compact_array(part)
        rr.tagged_fields()
    r.compact_array(topic)
    return out


def elect_preferred_leaders(conn, topic, partitions):
    """ElectLeaders v1, preferred -> {partition: error_code}."""
    body = struct.pack(">b", 0) + struct.pack(">i", 1) + kw.kstring(topic)
    body += struct.pack(">i", len(partitions)) + b"".join(struct.pack(">i", p) for p in partitions)
    body += struct.pack(">i", 30000)
    r = kw.Reader(conn.roundtrip(ELECT_LEADERS, 1, body))
    r.i32()
    assert r.i16() == 0
    out = {}

    def topic_(rr):
        rr.string()
        rr.array(lambda pr: out.__setitem__(pr.i32(), (pr.i16(), pr.string())[0]))
    r.array(topic_)
    return out
