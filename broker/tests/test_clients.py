"""Real clients against a real broker: kcat, kafka-python and confluent-kafka.

* 100k keyed records per client to a multi-partition topic, read back by the same client;
  offsets are dense per partition, each key stays in one partition and its sequence numbers
  come back in order with none missing or duplicated.
* Every compression codec each client offers, read back intact; the batches on disk carry
  the codec (the broker stores batches as received).
"""

import collections
import os
import subprocess
import time
import unittest

from tern_fixture import SharedBrokerTestCase, consume_all, create_topic, watermarks
from kafka_wire import parse_batches

N_RECORDS = 100_000
N_KEYS = 257
PARTITIONS = 4
COMPRESSED_RECORDS = 3000
CODEC_IDS = {"gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
CLIENT_TIMEOUT = 120


def keyed_records(tag):
    """(key, value) pairs; value = key|seq|filler, seq counts per key from 0."""
    seq = collections.Counter()
    out = []
    for i in range(N_RECORDS):
        key = f"{tag}-key-{(i * 7919) % N_KEYS}"
        out.append((key, f"{key}|{seq[key]}|{'x' * (i % 50)}"))
        seq[key] += 1
    return out


def compressible_records(tag):
    return [(f"k{i % 13}", f"{tag} record {i:06d} " + "lorem ipsum dolor sit amet " * (1 + i % 7))
            for i in range(COMPRESSED_RECORDS)]


def kafka_python_codec_available(codec):
    """kafka-python needs a Python library per codec (gzip is stdlib)."""
    from kafka import codec as kc
    return {"gzip": kc.has_gzip, "snappy": kc.has_snappy, "lz4": kc.has_lz4,
            "zstd": getattr(kc, "has_zstd", lambda: False)}[codec]()


# ---------------------------------------------------------------------- producers
def produce_confluent(bootstrap, topic, records, compression=None):
    from confluent_kafka import Producer
    conf = {"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 20,
            "enable.idempotence": False, "max.in.flight.requests.per.connection": 1,
            "message.timeout.ms": 60000}
    if compression:
        conf["compression.type"] = compression
    p = Producer(conf)
    errors = []
    delivered = [0]

    def cb(err, msg):
        if err is not None:
            errors.append(err)
        else:
            delivered[0] += 1

    for k, v in records:
        while True:
            try:
                p.produce(topic, key=k.encode(), value=v.encode(), on_delivery=cb)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    remaining = p.flush(CLIENT_TIMEOUT)
    assert remaining == 0, f"{remaining} messages not delivered"
    assert not errors, f"delivery errors: {errors[:5]}"
    assert delivered[0] == len(records), delivered[0]


def produce_kafka_python(bootstrap, topic, records, compression=None):
    from kafka import KafkaProducer
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20,
                      batch_size=64 * 1024, compression_type=compression,
                      max_in_flight_requests_per_connection=1, retries=0,
                      request_timeout_ms=30000)
    errors = []
    try:
        futures = [p.send(topic, key=k.encode(), value=v.encode()) for k, v in records]
        p.flush(timeout=CLIENT_TIMEOUT)
        for f in futures:
            try:
                f.get(timeout=CLIENT_TIMEOUT)
            except Exception as e:  # noqa: BLE001 - collect and report
                errors.append(e)
    finally:
        p.close(timeout=10)
    assert not errors, f"{len(errors)} send errors, first: {errors[:3]}"


def produce_kcat(bootstrap, topic, records, compression=None):
    data = "".join(f"{k}\t{v}\n" for k, v in records)
    cmd = ["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "\t", "-X", "acks=all",
           "-X", "linger.ms=20"]
    if compression:
        cmd += ["-z", compression]
    r = subprocess.run(cmd, input=data.encode(), capture_output=True, timeout=CLIENT_TIMEOUT)
    assert r.returncode == 0, f"kcat -P exited {r.returncode}: {r.stderr.decode()[-2000:]}"
    assert b"failed" not in r.stderr.lower(), r.stderr.decode()[-2000:]


# ---------------------------------------------------------------------- consumers
# Each returns a list of (partition, offset, key, value) as str.
def consume_confluent(broker, topic, partitions, expected):
    recs = consume_all(broker, topic, partitions, expected=expected, timeout=CLIENT_TIMEOUT)
    return [(p, o, k.decode(), v.decode()) for p, o, k, v in recs]


def consume_kafka_python(broker, topic, partitions, expected):
    from kafka import KafkaConsumer, TopicPartition
    c = KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None,
                      enable_auto_commit=False, auto_offset_reset="earliest",
                      max_partition_fetch_bytes=4 * 1024 * 1024)
    out = []
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        c.assign(tps)
        c.seek_to_beginning(*tps)
        deadline = time.monotonic() + CLIENT_TIMEOUT
        while len(out) < expected and time.monotonic() < deadline:
            for tp, msgs in c.poll(timeout_ms=500, max_records=20000).items():
                for m in msgs:
                    out.append((tp.partition, m.offset, m.key.decode(), m.value.decode()))
    finally:
        c.close()
    return out


def consume_kcat(broker, topic, partitions, expected):
    r = subprocess.run(["kcat", "-C", "-b", broker.bootstrap, "-t", topic, "-o", "beginning",
                        "-e", "-q", "-f", "%p\t%o\t%k\t%s\n"],
                       capture_output=True, timeout=CLIENT_TIMEOUT)
    assert r.returncode == 0, f"kcat -C exited {r.returncode}: {r.stderr.decode()[-2000:]}"
    out = []
    for line in r.stdout.decode().splitlines():
        p, o, k, v = line.split("\t", 3)
        out.append((int(p), int(o), k, v))
    return out


CLIENTS = {
    "kcat": (produce_kcat, consume_kcat),
    "kafka_python": (produce_kafka_python, consume_kafka_python),
    "confluent": (produce_confluent, consume_confluent),
}


class ClientsTest(SharedBrokerTestCase):
    SHARED_OVERRIDES = {"auto.create.topics.enable": "false"}
    SHARED_NAME = "clients"

    # ------------------------------------------------------------------ pipelining
    def test_pipelined_produces_are_appended_and_answered_in_order(self):
        from kafka_wire import Conn, parse_produce_v3_response, pipelined_produces, record_batch
        topic = "pipelined"
        create_topic(self.broker, topic, 1)
        batches = [record_batch([(None, f"v{i}-{j}".encode()) for j in range(3)])
                   for i in range(12)]
        with Conn(self.broker.port) as c:
            # Sent back to back: 6 with acks=1, one with acks=0 (never answered), 5 with
            # acks=1, then a Metadata request, which must come after every Produce.
            answers = pipelined_produces(c, topic, 0, batches,
                                         acks=[0 if i == 6 else 1 for i in range(12)])
        self.assertEqual([corr for corr, _ in answers], [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13])
        offsets = []
        for _, body in answers[:-1]:
            (_, _, err, base, _), = parse_produce_v3_response(body)[0]
            self.assertEqual(err, 0)
            offsets.append(base)
        self.assertEqual(offsets, [0, 3, 6, 9, 12, 15, 21, 24, 27, 30, 33])
        got = consume_all(self.broker, topic, 1)
        self.assertEqual([v.decode() for _, _, _, v in got],
                         [f"v{i}-{j}" for i in range(12) for j in range(3)])

    # ------------------------------------------------------------------ keyed round trip
    def keyed_round_trip(self, client):
        produce_fn, consume_fn = CLIENTS[client]
        topic = f"keyed-{client}"
        create_topic(self.broker, topic, PARTITIONS)
        records = keyed_records(client)
        started = time.monotonic()
        produce_fn(self.broker.bootstrap, topic, records)
        highs = [watermarks(self.broker, topic, p)[1] for p in range(PARTITIONS)]
        self.assertEqual(sum(highs), N_RECORDS, f"high watermarks {highs}")
        self.assertGreater(sum(1 for h in highs if h > 0), 1, "keys all went to one partition")
        got = consume_fn(self.broker, topic, PARTITIONS, N_RECORDS)
        self.assertEqual(len(got), N_RECORDS)

        by_partition = collections.defaultdict(list)
        for p, o, k, v in got:
            by_partition[p].append((o, k, v))
        key_partition = {}
        per_key = collections.defaultdict(list)
        for p, recs in by_partition.items():
            offsets = [o for o, _, _ in recs]
            self.assertEqual(offsets, list(range(highs[p])),
                             f"partition {p}: offsets not dense/in order")
            for o, k, v in recs:
                vk, seq, _ = v.split("|", 2)
                self.assertEqual(vk, k, f"value {v!r} under key {k!r}")
                self.assertEqual(key_partition.setdefault(k, p), p, f"key {k} in two partitions")
                per_key[k].append(int(seq))
        expected = collections.Counter(k for k, _ in records)
        self.assertEqual(set(per_key), set(expected))
        for k, seqs in per_key.items():
            self.assertEqual(seqs, list(range(expected[k])), f"key {k}: order broken or gaps")
        self.assertEqual(sorted(v for *_, v in got), sorted(v for _, v in records))
        print(f"\n  {client}: {N_RECORDS} keyed records round-trip in "
              f"{time.monotonic() - started:.1f}s", end=" ")

    def test_keyed_100k_kcat(self):
        self.keyed_round_trip("kcat")

    def test_keyed_100k_kafka_python(self):
        self.keyed_round_trip("kafka_python")

    def test_keyed_100k_confluent(self):
        self.keyed_round_trip("confluent")

    # ------------------------------------------------------------------ compression
    def compression_round_trip(self, client, codec):
        if client == "kafka_python" and not kafka_python_codec_available(codec):
            self.skipTest(f"kafka-python cannot {codec}: its Python library "
                          f"({ {'snappy': 'python-snappy', 'lz4': 'lz4', 'zstd': 'zstandard'}[codec] }) "
                          f"is not importable here")
        produce_fn, consume_fn = CLIENTS[client]
        topic = f"comp-{client}-{codec}"
        create_topic(self.broker, topic, 1)
        records = compressible_records(f"{client}/{codec}")
        produce_fn(self.broker.bootstrap, topic, records, compression=codec)

        # The broker kept the producer's compressed batches as they were.
        with open(os.path.join(self.broker.partition_dir(topic, 0),
                               "00000000000000000000.log"), "rb") as f:
            batches = parse_batches(f.read())
        self.assertTrue(batches)
        self.assertTrue(all(b["crc_ok"] for b in batches))
        # Count records, not batches: librdkafka sends a batch uncompressed when compressing
        # would not make it smaller, so a few small batches may be plain.
        records_by_codec = collections.Counter()
        for b in batches:
            records_by_codec[b["attributes"] & 7] += b["count"]
        self.assertLessEqual(set(records_by_codec), {0, CODEC_IDS[codec]}, records_by_codec)
        self.assertGreater(records_by_codec[CODEC_IDS[codec]], records_by_codec[0],
                           f"records per codec on disk {dict(records_by_codec)}: expected {codec}")
        self.assertEqual(sum(b["count"] for b in batches), COMPRESSED_RECORDS)

        got = consume_fn(self.broker, topic, 1, COMPRESSED_RECORDS)
        self.assertEqual([(o, k, v) for _, o, k, v in got],
                         [(i, k, v) for i, (k, v) in enumerate(records)])
        # And the other librdkafka-based consumer reads it identically.
        if client != "confluent":
            got = consume_confluent(self.broker, topic, 1, COMPRESSED_RECORDS)
            self.assertEqual([(k, v) for _, _, k, v in got], records)


def _add_compression_tests():
    for client in CLIENTS:
        for codec in CODEC_IDS:
            def t(self, client=client, codec=codec):
                self.compression_round_trip(client, codec)
            t.__name__ = f"test_compression_{codec}_{client}"
            setattr(ClientsTest, t.__name__, t)


_add_compression_tests()

if __name__ == "__main__":
    unittest.main()
