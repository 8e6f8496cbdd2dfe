"""Bad input over raw sockets: the broker refuses it the way Kafka does and keeps serving."""

import socket
import struct
import time
import unittest

from tern_fixture import BrokerTestCase, admin_client, create_topic, watermarks
from kafka_wire import (API_VERSIONS, FETCH, PRODUCE, Conn, fetch_v4_body, frame, kstring,
                        metadata_v1,
                        parse_api_versions_v0_response, produce, produce_v3_body,
                        record_batch, request_header_v1)

SOCKET_MAX = 1048576
MESSAGE_MAX = 65536

CORRUPT_MESSAGE = 2
UNKNOWN_TOPIC_OR_PARTITION = 3
MESSAGE_TOO_LARGE = 10
INVALID_TOPIC_EXCEPTION = 17
UNSUPPORTED_VERSION = 35

BAD_TOPIC_NAMES = ["bad topic!", "a" * 250, ".", "..", "slash/name"]


class BadInputTest(BrokerTestCase):
    @classmethod
    def setUpClass(cls):
        # One broker for the whole class: every test also proves it survived the previous ones.
        from tern_fixture import TernBroker
        cls.broker = TernBroker(overrides={
            "socket.request.max.bytes": str(SOCKET_MAX),
            "message.max.bytes": str(MESSAGE_MAX),
            "auto.create.topics.enable": "true",
        }, name="bad-input")
        cls.broker.start()
        create_topic(cls.broker, "good", 1)

    @classmethod
    def tearDownClass(cls):
        cls.broker.cleanup()

    def setUp(self):
        self.addCleanup(self._dump_log_on_failure, self.broker)
        self.assertTrue(self.broker.running, "broker died during an earlier test:\n"
                        + self.broker.log()[-5000:])

    def conn(self):
        c = Conn(self.broker.port, timeout=10)
        self.addCleanup(c.close)
        return c

    def assert_serving(self):
        """The broker process is alive and a fresh connection gets real answers."""
        self.assertTrue(self.broker.running, "broker process exited:\n" + self.broker.log()[-5000:])
        c = self.conn()
        err, keys = parse_api_versions_v0_response(c.roundtrip(API_VERSIONS, 0, b""))
        self.assertEqual(err, 0)
        self.assertIn(PRODUCE, keys)
        before = watermarks(self.broker, "good")[1]
        err, base = produce(c, "good", 0, record_batch([(b"k", b"still-serving")]))
        self.assertEqual(err, 0)
        self.assertEqual(base, before)
        self.assertEqual(watermarks(self.broker, "good")[1], before + 1)

    # ------------------------------------------------------------------ framing
    def test_oversized_frame_is_closed_without_allocating(self):
        hwm_before = self.broker.proc_status_kb("VmHWM")
        peak_before = self.broker.proc_status_kb("VmPeak")
        for size in (SOCKET_MAX + 1, 1_000_000_000, 2**31 - 1):
            c = self.conn()
            # Only the size prefix and a request header: a broker that trusts the size and
            # allocates would grow by up to 2 GiB here, or wait for the rest of the body.
            c.send_raw(struct.pack(">i", size) + request_header_v1(API_VERSIONS, 0, 1))
            self.assertTrue(c.is_closed_by_peer(timeout=10),
                            f"frame of {size} bytes (limit {SOCKET_MAX}) was not closed")
        # Peak values catch an allocation even if it was freed when the connection closed.
        hwm_after = self.broker.proc_status_kb("VmHWM")
        peak_after = self.broker.proc_status_kb("VmPeak")
        self.assertLess(hwm_after - hwm_before, 64 * 1024,
                        f"peak RSS grew from {hwm_before} kB to {hwm_after} kB")
        self.assertLess(peak_after - peak_before, 512 * 1024,
                        f"peak virtual size grew from {peak_before} kB to {peak_after} kB")
        self.assert_serving()

    def test_negative_frame_size_is_closed(self):
        c = self.conn()
        c.send_raw(struct.pack(">i", -5) + b"\x00" * 16)
        self.assertTrue(c.is_closed_by_peer(timeout=10))
        self.assert_serving()

    def test_frame_too_short_for_a_header_is_closed(self):
        c = self.conn()
        c.send_raw(frame(b"\x00\x12\x00"))  # 3 bytes: not even api_key + api_version
        self.assertTrue(c.is_closed_by_peer(timeout=10))
        self.assert_serving()

    def test_unknown_api_key_closes_connection(self):
        for api_key in (9999, -1, 1000):
            c = self.conn()
            c.request(api_key, 0, b"\x00" * 8)
            self.assertTrue(c.is_closed_by_peer(timeout=10), f"api_key {api_key} not closed")
        self.assert_serving()

    def test_truncated_produce_body_closes_connection(self):
        full = produce_v3_body("good", 0, record_batch([(b"k", b"v")]))
        cuts = [
            full[:2],                         # inside transactional_id
            full[:2 + 2 + 4 + 4],             # topics count says 1, nothing follows
            full[:len(full) - 20],            # records length larger than what is left
        ]
        before = watermarks(self.broker, "good")[1]
        for body in cuts:
            c = self.conn()
            c.request(PRODUCE, 3, body)
            self.assertTrue(c.is_closed_by_peer(timeout=10),
                            f"truncated Produce body of {len(body)} bytes not closed")
        self.assertEqual(watermarks(self.broker, "good")[1], before, "truncated request appended")
        self.assert_serving()

    def test_client_id_longer_than_frame_closes_connection(self):
        c = self.conn()
        c.send_raw(frame(struct.pack(">hhih", API_VERSIONS, 0, 7, 3000) + b"abc"))
        self.assertTrue(c.is_closed_by_peer(timeout=10))
        self.assert_serving()

    def test_negative_array_length_closes_connection(self):
        c = self.conn()
        body = kstring(None) + struct.pack(">hi", -1, 1000) + struct.pack(">i", -7)
        c.request(PRODUCE, 3, body)
        # Kafka treats a negative non-nullable array length as a malformed request.
        self.assertTrue(c.is_closed_by_peer(timeout=10))
        self.assert_serving()

    # ------------------------------------------------------------------ versions
    def test_api_versions_unsupported_version_gets_error_35(self):
        c = self.conn()
        corr = c.request(API_VERSIONS, 99, b"")
        resp = c.recv_frame()
        # Response header v0 (correlation id only), then an ApiVersions v0 body.
        (rcorr,) = struct.unpack_from(">i", resp, 0)
        self.assertEqual(rcorr, corr)
        err, keys = parse_api_versions_v0_response(resp[4:])
        self.assertEqual(err, UNSUPPORTED_VERSION)
        self.assertTrue(keys, "api_keys must list the supported ranges")
        self.assertIn(API_VERSIONS, keys)
        self.assertEqual(keys[API_VERSIONS][0], 0)
        self.assertIn(PRODUCE, keys)
        # The connection stays usable: a supported version now succeeds on it.
        err, keys = parse_api_versions_v0_response(c.roundtrip(API_VERSIONS, 0, b""))
        self.assertEqual(err, 0)
        self.assert_serving()

    # ------------------------------------------------------------------ record validation
    def test_produce_bad_crc_gets_corrupt_message(self):
        c = self.conn()
        before = watermarks(self.broker, "good")[1]
        batch = bytearray(record_batch([(b"key", b"value-%d" % i) for i in range(5)]))
        batch[-1] ^= 0xFF  # flip a byte of the last record, inside the CRC-covered range
        err, base = produce(c, "good", 0, bytes(batch))
        self.assertEqual(err, CORRUPT_MESSAGE)
        self.assertEqual(base, -1)
        batch = bytearray(record_batch([(b"key", b"value")]))
        batch[17] ^= 0x01  # the CRC field itself
        err, _ = produce(c, "good", 0, bytes(batch))
        self.assertEqual(err, CORRUPT_MESSAGE)
        self.assertEqual(watermarks(self.broker, "good")[1], before, "corrupt batch was stored")
        self.assert_serving()

    def test_produce_batch_above_message_max_bytes_gets_message_too_large(self):
        c = self.conn()
        before = watermarks(self.broker, "good")[1]
        big = record_batch([(b"k", b"x" * (MESSAGE_MAX + 1000))])
        self.assertLess(len(big) + 200, SOCKET_MAX)
        err, base = produce(c, "good", 0, big)
        self.assertEqual(err, MESSAGE_TOO_LARGE)
        self.assertEqual(base, -1)
        # Just below the limit is accepted.
        ok = record_batch([(b"k", b"y" * (MESSAGE_MAX - 200))])
        self.assertLessEqual(len(ok), MESSAGE_MAX)
        err, base = produce(c, "good", 0, ok)
        self.assertEqual(err, 0)
        self.assertEqual(base, before)
        self.assert_serving()

    def test_topic_max_message_bytes_overrides_broker_limit(self):
        create_topic(self.broker, "small-msgs", 1, {"max.message.bytes": "2000"})
        c = self.conn()
        err, _ = produce(c, "small-msgs", 0, record_batch([(b"k", b"z" * 3000)]))
        self.assertEqual(err, MESSAGE_TOO_LARGE)
        err, base = produce(c, "small-msgs", 0, record_batch([(b"k", b"z" * 100)]))
        self.assertEqual((err, base), (0, 0))
        self.assert_serving()

    # ------------------------------------------------------------------ topic names
    def test_create_topics_invalid_name_gets_invalid_topic_exception(self):
        from confluent_kafka.admin import NewTopic
        from confluent_kafka import KafkaException
        admin = admin_client(self.broker)
        fs = admin.create_topics([NewTopic(n, 1, 1) for n in BAD_TOPIC_NAMES],
                                 request_timeout=15)
        for name, f in fs.items():
            with self.assertRaises(KafkaException, msg=f"topic {name!r} was created") as cm:
                f.result(timeout=15)
            self.assertEqual(cm.exception.args[0].code(), INVALID_TOPIC_EXCEPTION,
                             f"{name!r}: {cm.exception}")
        md = admin.list_topics(timeout=10)
        for name in BAD_TOPIC_NAMES:
            self.assertNotIn(name, md.topics)
        self.assert_serving()

    def test_produce_invalid_topic_name_gets_invalid_topic_exception(self):
        c = self.conn()
        for name in BAD_TOPIC_NAMES:
            err, base = produce(c, name, 0, record_batch([(b"k", b"v")]))
            self.assertEqual(err, INVALID_TOPIC_EXCEPTION, f"Produce to {name!r}")
            self.assertEqual(base, -1)
        # Metadata with auto-create on must not create it either.
        md = metadata_v1(c, BAD_TOPIC_NAMES)
        for name in BAD_TOPIC_NAMES:
            self.assertEqual(md[name][0], INVALID_TOPIC_EXCEPTION, f"Metadata for {name!r}")
        self.assert_serving()

    def test_produce_unknown_partition_gets_unknown_topic_or_partition(self):
        c = self.conn()
        err, base = produce(c, "good", 7, record_batch([(b"k", b"v")]))
        self.assertEqual(err, UNKNOWN_TOPIC_OR_PARTITION)
        self.assertEqual(base, -1)
        self.assert_serving()


class DisconnectTest(BrokerTestCase):
    """Its own broker, so that a crash here does not take the other tests down."""

    def test_client_closing_with_responses_pending_does_not_kill_broker(self):
        # A client that pipelines fetches and disconnects before reading the responses
        # (what a consumer does on close) must cost the broker that connection only.
        b = self.start_broker()
        create_topic(b, "pipelined", 1)
        with Conn(b.port) as c:
            for _ in range(4):
                err, _ = produce(c, "pipelined", 0, record_batch([(b"k", b"p" * 50000)]))
                self.assertEqual(err, 0)
        for attempt in range(20):
            c = Conn(b.port)
            for _ in range(10):
                c.request(FETCH, 4, fetch_v4_body("pipelined", 0, 0))
            if attempt % 2:
                # Abortive close (RST) on odd attempts, orderly close (FIN) on even ones.
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
            time.sleep(0.2)
            self.assertTrue(b.running,
                            f"broker died (exit {b.proc.returncode}; -13 is SIGPIPE) "
                            f"after a client closed with fetch responses pending "
                            f"(attempt {attempt})")
        with Conn(b.port) as c:
            err, keys = parse_api_versions_v0_response(c.roundtrip(API_VERSIONS, 0, b""))
            self.assertEqual(err, 0)


if __name__ == "__main__":
    unittest.main()
