"""Idempotent producer: retried batches the broker already appended are not appended twice.

The retries are forced by a TCP proxy between the client and the broker that, for some
Produce requests, forwards the request and then drops the connection instead of returning
the response. The broker advertises the proxy's address, so the client only ever talks to
the broker through it.
"""

import collections
import socket
import struct
import threading
import unittest

from tern_fixture import BrokerTestCase, consume_all, create_topic, watermarks
from kafka_wire import (Conn, init_producer_id_v0, produce, record_batch)

PRODUCE_KEY = 0
OUT_OF_ORDER_SEQUENCE_NUMBER = 45
DUPLICATE_SEQUENCE_NUMBER = 46
UNKNOWN_PRODUCER_ID = 59


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _recv_frame(sock):
    head = _recv_exact(sock, 4)
    if head is None:
        return None
    (size,) = struct.unpack(">i", head)
    body = _recv_exact(sock, size)
    return None if body is None else head + body


class DroppingProxy:
    """Forwards Kafka frames; drops the connection instead of returning some Produce responses.

    Every `drop_every`-th Produce response (counted over all connections) is swallowed and both
    sides of that connection are closed, up to `max_drops` times.
    """

    def __init__(self, drop_every=5, max_drops=12):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.target_port = None
        self.drop_every = drop_every
        self.max_drops = max_drops
        self.lock = threading.Lock()
        self.produce_responses = 0
        self.dropped = 0
        self.connections = 0
        self.stopping = threading.Event()
        self.sockets = []
        self.threads = []

    def start(self, target_port):
        self.target_port = target_port
        t = threading.Thread(target=self._accept_loop, name="proxy-accept", daemon=True)
        t.start()
        self.threads.append(t)

    def stop(self):
        self.stopping.set()
        with self.lock:
            socks = list(self.sockets)
        for s in socks:
            self._close(s)
        for t in self.threads:
            t.join(timeout=5)
        self.listener.close()

    @staticmethod
    def _close(s):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()

    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            pending = {}  # correlation id -> api key, for this connection
            with self.lock:
                self.connections += 1
                self.sockets += [client, upstream]
            for fn in (self._client_to_broker, self._broker_to_client):
                t = threading.Thread(target=fn, args=(client, upstream, pending), daemon=True)
                t.start()
                self.threads.append(t)

    def _client_to_broker(self, client, upstream, pending):
        try:
            while True:
                f = _recv_frame(client)
                if f is None:
                    break
                api_key, _, corr = struct.unpack_from(">hhi", f, 4)
                with self.lock:
                    pending[corr] = api_key
                upstream.sendall(f)
        except OSError:
            pass
        self._close(client)
        self._close(upstream)

    def _broker_to_client(self, client, upstream, pending):
        try:
            while True:
                f = _recv_frame(upstream)
                if f is None:
                    break
                (corr,) = struct.unpack_from(">i", f, 4)
                drop = False
                with self.lock:
                    if pending.pop(corr, None) == PRODUCE_KEY:
                        self.produce_responses += 1
                        if (self.produce_responses % self.drop_every == 0
                                and self.dropped < self.max_drops):
                            self.dropped += 1
                            drop = True
                if drop:
                    break  # the broker has appended; the client never hears about it
                client.sendall(f)
        except OSError:
            pass
        self._close(client)
        self._close(upstream)


class IdempotentProducerTest(BrokerTestCase):
    def test_forced_retries_do_not_duplicate(self):
        from confluent_kafka import Producer
        proxy = DroppingProxy(drop_every=5, max_drops=12)
        self.addCleanup(proxy.stop)
        b = self.start_broker({"advertised.listeners": f"PLAINTEXT://127.0.0.1:{proxy.port}"})
        proxy.start(b.port)
        create_topic(b, "idem", 2)

        p = Producer({"bootstrap.servers": f"127.0.0.1:{proxy.port}",
                      "enable.idempotence": True, "acks": "all",
                      "linger.ms": 5, "batch.num.messages": 200,
                      "message.timeout.ms": 90000, "retry.backoff.ms": 50,
                      "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 500})
        acked = {}
        errors = []

        def cb(err, msg):
            if err is None:
                acked[msg.value()] = (msg.partition(), msg.offset())
            else:
                errors.append((msg.value(), err))

        total = 20000
        for i in range(total):
            while True:
                try:
                    p.produce("idem", key=b"k%d" % (i % 17), value=b"idem-%06d" % i,
                              on_delivery=cb)
                    break
                except BufferError:
                    p.poll(0.05)
            p.poll(0)
            if i % 1000 == 999:
                p.poll(0.05)  # let batches go out in several requests
        remaining = p.flush(120)
        self.assertEqual(remaining, 0, "producer did not finish within 120 s")
        self.assertEqual(errors, [], f"{len(errors)} delivery errors, first {errors[:3]}")
        self.assertEqual(len(acked), total)
        self.assertGreater(proxy.dropped, 0, "the proxy never dropped a Produce response")
        self.assertGreater(proxy.connections, proxy.dropped, "client did not reconnect")

        got = consume_all(b, "idem", 2, timeout=60)
        counts = collections.Counter(v for _, _, _, v in got)
        dups = {v: n for v, n in counts.items() if n > 1}
        self.assertEqual(len(dups), 0, f"{len(dups)} values stored more than once, e.g. "
                         f"{sorted(dups.items())[:5]} (proxy dropped {proxy.dropped} "
                         f"Produce responses)")
        self.assertEqual(set(counts), set(acked))
        self.assertEqual(len(got), total)
        # Each acknowledged offset holds that value (the retry got the original offset back).
        stored = {v: (part, off) for part, off, _, v in got}
        wrong = [v for v, at in acked.items() if stored[v] != at]
        self.assertEqual(wrong, [], "acknowledged offsets differ from stored offsets")
        # Per-key order is kept across the retries.
        by_key = collections.defaultdict(list)
        for part, off, k, v in sorted(got):
            by_key[k].append(int(v.split(b"-")[1]))
        for k, seqs in by_key.items():
            self.assertEqual(seqs, sorted(seqs), f"key {k} reordered")


class SequenceRulesTest(BrokerTestCase):
    """Deterministic duplicate and sequence checks with hand-built batches."""

    def batch(self, pid, epoch, seq, n, tag):
        return record_batch([(b"k", b"%s-%d" % (tag, seq + i)) for i in range(n)],
                            producer_id=pid, producer_epoch=epoch, base_sequence=seq)

    def setUp(self):
        self.b = self.start_broker()
        create_topic(self.b, "seq", 1)
        self.conn = Conn(self.b.port)
        self.addCleanup(self.conn.close)
        err, self.pid, self.epoch = init_producer_id_v0(self.conn)
        self.assertEqual(err, 0)
        self.assertGreaterEqual(self.pid, 0)
        self.assertGreaterEqual(self.epoch, 0)

    def send(self, seq, n, tag=b"v", conn=None):
        return produce(conn or self.conn, "seq", 0, self.batch(self.pid, self.epoch, seq, n, tag))

    def test_resent_batches_are_not_appended_again(self):
        self.assertEqual(self.send(0, 3), (0, 0))
        self.assertEqual(self.send(3, 3), (0, 3))
        self.assertEqual(self.send(6, 3), (0, 6))
        # Resending the last batch, and an older one still in the broker's window of 5,
        # returns the original offsets without appending.
        for seq, offset in ((6, 6), (3, 3), (0, 0)):
            err, base = self.send(seq, 3)
            self.assertIn(err, (0, DUPLICATE_SEQUENCE_NUMBER), f"resend of seq {seq}")
            if err == 0:
                self.assertEqual(base, offset, f"resend of seq {seq} got another offset")
        self.assertEqual(watermarks(self.b, "seq"), (0, 9))
        self.assertEqual(self.send(9, 2), (0, 9))
        got = consume_all(self.b, "seq", 1, timeout=30)
        self.assertEqual([v for *_, v in got], [b"v-%d" % i for i in range(11)])

    def test_sequence_gap_is_out_of_order(self):
        self.assertEqual(self.send(0, 2), (0, 0))
        err, base = self.send(5, 2)  # expected 2
        self.assertEqual(err, OUT_OF_ORDER_SEQUENCE_NUMBER)
        self.assertEqual(base, -1)
        self.assertEqual(self.send(2, 2), (0, 2))
        self.assertEqual(watermarks(self.b, "seq"), (0, 4))

    def test_producer_state_survives_clean_restart_and_crash(self):
        self.assertEqual(self.send(0, 4), (0, 0))
        self.assertEqual(self.send(4, 4), (0, 4))
        self.conn.close()
        for how in ("clean", "kill -9"):
            with self.subTest(restart=how):
                self.b.restart(clean=(how == "clean"))
                with Conn(self.b.port) as c:
                    err, base = self.send(4, 4, conn=c)
                    self.assertIn(err, (0, DUPLICATE_SEQUENCE_NUMBER))
                    if err == 0:
                        self.assertEqual(base, 4)
                    self.assertEqual(watermarks(self.b, "seq"), (0, 8),
                                     f"duplicate appended after {how} restart")
                    err, _ = self.send(20, 1, conn=c)
                    self.assertEqual(err, OUT_OF_ORDER_SEQUENCE_NUMBER)
        with Conn(self.b.port) as c:
            self.assertEqual(self.send(8, 1, conn=c), (0, 8))


if __name__ == "__main__":
    unittest.main()
