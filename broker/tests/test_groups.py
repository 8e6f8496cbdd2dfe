"""Consumer groups, committed offsets and compaction against a real broker.

* confluent-kafka members of one group split a topic's partitions (each partition owned by
  exactly one member) and read every record exactly once with synchronous commits.
* A member that leaves has its partitions moved at once; one that is SIGKILLed loses them
  after its session timeout.
* cooperative-sticky rebalances are incremental: members keep what they still own.
* Committed offsets survive a consumer crash and a kill -9 of the broker.
* kafka-python (auto-commit) and kcat's balanced consumer; `tern consumer-groups`.
* Compaction keeps the newest record per key at its original offset and drops expired
  tombstones; keyless records are refused on compacted topics.
* Raw-socket errors: ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, INVALID_GROUP_ID,
  MEMBER_ID_REQUIRED, INCONSISTENT_GROUP_PROTOCOL, FENCED_INSTANCE_ID.
* Groups and offsets survive a clean restart.

Every wait is bounded; consumers run with short session timeouts (the brokers lower
group.min.session.timeout.ms) so crash detection takes seconds.
"""

import collections
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

import kafka_wire as kw
from tern_fixture import BrokerTestCase, SharedBrokerTestCase, create_topic, watermarks
from test_cli import show, tern, tern_binary

SESSION_MS = 3000          # consumers' session.timeout.ms (broker minimum lowered to 1000)
HEARTBEAT_MS = 500
CLIENT_TIMEOUT = 60

BROKER_OVERRIDES = {
    "auto.create.topics.enable": "false",
    "group.initial.rebalance.delay.ms": "500",
    "group.min.session.timeout.ms": "1000",
    "log.cleaner.backoff.ms": "500",
}

# Error codes
NONE, ILLEGAL_GENERATION, INCONSISTENT_GROUP_PROTOCOL, INVALID_GROUP_ID = 0, 22, 23, 24
UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS, MEMBER_ID_REQUIRED, FENCED_INSTANCE_ID = 25, 27, 79, 82
INVALID_RECORD = 87


# ---------------------------------------------------------------------- helpers
def produce(bootstrap, topic, records, partition=None, compression=None, flush_each=False):
    """records: [(key, value)] (bytes/str/None). Returns [(partition, offset, key, value)]
    in produce order, from the delivery reports."""
    from confluent_kafka import Producer
    conf = {"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
            "enable.idempotence": False, "max.in.flight.requests.per.connection": 1,
            "message.timeout.ms": 30000}
    if compression:
        conf["compression.type"] = compression
    p = Producer(conf)
    results = [None] * len(records)
    errors = []

    def enc(x):
        return x.encode() if isinstance(x, str) else x

    for i, (k, v) in enumerate(records):
        def cb(err, msg, i=i):
            if err is not None:
                errors.append((i, err))
            else:
                results[i] = (msg.partition(), msg.offset(), msg.key(), msg.value())
        kwargs = {"key": enc(k), "value": enc(v), "on_delivery": cb}
        if partition is not None:
            kwargs["partition"] = partition
        p.produce(topic, **kwargs)
        p.poll(0)
        if flush_each:
            p.flush(CLIENT_TIMEOUT)
    assert p.flush(CLIENT_TIMEOUT) == 0, "messages not delivered"
    assert not errors, f"delivery errors: {errors[:5]}"
    return results


def consumer_conf(broker, group, **extra):
    conf = {"bootstrap.servers": broker.bootstrap, "group.id": group,
            "enable.auto.commit": False, "auto.offset.reset": "earliest",
            "session.timeout.ms": SESSION_MS, "heartbeat.interval.ms": HEARTBEAT_MS,
            "max.poll.interval.ms": 20000, "topic.metadata.refresh.interval.ms": 2000}
    conf.update(extra)
    return conf


class Member:
    """A confluent-kafka group member that tracks what it owns from its rebalance callbacks
    (incremental for cooperative protocols: owned = owned + assigned - revoked - lost)."""

    def __init__(self, broker, group, topic, name, commit=True, **conf):
        from confluent_kafka import Consumer
        self.name = name
        self.commit_each = commit
        self.c = Consumer(consumer_conf(broker, group, **{"client.id": name, **conf}))
        self.owned = set()
        self.events = []          # (time, "assign"/"revoke"/"lost", frozenset, owned after)
        self.records = []         # (partition, offset, key, value)
        self.commit_errors = []
        self.closed = False
        self.c.subscribe([topic], on_assign=self._on_assign, on_revoke=self._on_revoke,
                         on_lost=self._on_lost)

    def _event(self, kind, parts):
        ps = frozenset(p.partition for p in parts)
        if kind == "assign":
            self.owned |= ps
        else:
            self.owned -= ps
        self.events.append((time.monotonic(), kind, ps, frozenset(self.owned)))

    def _on_assign(self, c, parts):
        self._event("assign", parts)

    def _on_revoke(self, c, parts):
        self._event("revoke", parts)

    def _on_lost(self, c, parts):
        self._event("lost", parts)

    def poll(self, timeout=0.05):
        from confluent_kafka import TopicPartition
        if self.closed:
            return []
        msgs = self.c.consume(num_messages=500, timeout=timeout)
        got = []
        for m in msgs:
            if m.error():
                raise AssertionError(f"{self.name}: consume error {m.error()}")
            got.append((m.partition(), m.offset(), m.key(), m.value()))
        if got:
            self.records.extend(got)
            if self.commit_each:
                last = {}
                for p, o, _, _ in got:
                    last[p] = max(last.get(p, -1), o)
                topic = msgs[0].topic()
                try:
                    self.c.commit(offsets=[TopicPartition(topic, p, o + 1)
                                           for p, o in sorted(last.items())],
                                  asynchronous=False)
                except Exception as e:  # noqa: BLE001 - reported by the test
                    self.commit_errors.append(e)
        return got

    def close(self):
        if not self.closed:
            self.closed = True
            self.c.close()

    def history(self):
        t0 = self.events[0][0] if self.events else 0
        return [(round(t - t0, 2), k, sorted(ps), sorted(o)) for t, k, ps, o in self.events]


def poll_until(members, predicate, timeout, what, quiet=0.0, extra_poll=None):
    """Poll every member round-robin until predicate() holds continuously for `quiet` s."""
    deadline = time.monotonic() + timeout
    since = None
    while time.monotonic() < deadline:
        for m in members:
            m.poll(0.05)
        if extra_poll:
            extra_poll()
        if predicate():
            since = since or time.monotonic()
            if time.monotonic() - since >= quiet:
                return
        else:
            since = None
    details = "\n".join(f"  {m.name}: owned={sorted(m.owned)} events={m.history()}"
                        for m in members)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{details}")


def partitions_split(owned_sets, n):
    """Every partition in 0..n-1 owned by exactly one of the sets, none empty."""
    total = sum(len(s) for s in owned_sets)
    union = set().union(*owned_sets)
    return total == n and union == set(range(n)) and all(owned_sets)


CHILD_CONSUMER = r"""
import json, sys, time
from confluent_kafka import Consumer, TopicPartition
cfg = json.loads(sys.argv[1])
def out(**kw):
    print(json.dumps(kw), flush=True)
c = Consumer({"bootstrap.servers": cfg["bootstrap"], "group.id": cfg["group"],
              "client.id": cfg["name"], "enable.auto.commit": False,
              "auto.offset.reset": "earliest", "session.timeout.ms": cfg["session_ms"],
              "heartbeat.interval.ms": cfg["heartbeat_ms"], "max.poll.interval.ms": 60000})
def cb(kind):
    return lambda c, ps: out(event=kind, partitions=[p.partition for p in ps])
c.subscribe([cfg["topic"]], on_assign=cb("assign"), on_revoke=cb("revoke"), on_lost=cb("lost"))
limit = cfg.get("limit")
records, committed = [], {}
while limit is None or len(records) < limit:
    n = 100 if limit is None else min(100, limit - len(records))
    msgs = c.consume(num_messages=n, timeout=0.1)
    good = []
    for m in msgs:
        if m.error():
            out(event="error", error=str(m.error()))
            sys.exit(2)
        good.append(m)
    if not good or limit is None:
        continue
    for m in good:
        records.append([m.partition(), m.offset(), m.key().decode(), m.value().decode()])
        committed[m.partition()] = m.offset() + 1
    try:
        c.commit(offsets=[TopicPartition(cfg["topic"], p, o) for p, o in committed.items()],
                 asynchronous=False)
    except Exception as e:
        out(event="error", error="commit failed: %s" % e)
        sys.exit(3)
out(event="done", records=records, committed=committed)
while True:
    time.sleep(1)  # keep the membership until the test SIGKILLs this process
"""


class ChildConsumer:
    """A confluent-kafka consumer in its own process, so the test can SIGKILL it.

    It prints its rebalance events as JSON lines; with `limit` it reads exactly that many
    records, committing synchronously after each batch, reports them and waits.
    """

    def __init__(self, broker, group, topic, name, limit=None, session_ms=SESSION_MS):
        cfg = {"bootstrap": broker.bootstrap, "group": group, "topic": topic, "name": name,
               "limit": limit, "session_ms": session_ms, "heartbeat_ms": HEARTBEAT_MS}
        self.name = name
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD_CONSUMER, json.dumps(cfg)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.owned = set()
        self.events = []
        self.done = None
        self.stderr = []
        self.readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self.lines),
                                         daemon=True),
                        threading.Thread(target=self._read_err, daemon=True)]
        for t in self.readers:
            t.start()

    @staticmethod
    def _read(stream, q):
        for line in stream:
            q.put(line)

    def _read_err(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def drain(self):
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return
            ev = json.loads(line)
            self.events.append((time.monotonic(), ev))
            kind = ev["event"]
            if kind == "assign":
                self.owned |= set(ev["partitions"])
            elif kind in ("revoke", "lost"):
                self.owned -= set(ev["partitions"])
            elif kind == "done":
                self.done = ev
            elif kind == "error":
                raise AssertionError(f"{self.name} failed: {ev['error']}")

    def wait_done(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.drain()
            if self.done:
                return self.done
            if self.proc.poll() is not None:
                self.drain()
                raise AssertionError(f"{self.name} exited {self.proc.returncode}: "
                                     f"{''.join(self.stderr)[-2000:]}")
            time.sleep(0.05)
        raise AssertionError(f"{self.name} did not finish within {timeout}s; "
                             f"events {self.events}; stderr {''.join(self.stderr)[-2000:]}")

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        for t in self.readers:  # EOF once the process is gone
            t.join(timeout=5)
        for f in (self.proc.stdout, self.proc.stderr):
            f.close()

    def cleanup(self):
        self.kill()


def cli_table(text):
    """A `tern consumer-groups` table -> list of dicts keyed by the header's columns."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for i, ln in enumerate(lines):
        if ln.startswith("GROUP"):
            header = ln.split()
            # "COORDINATOR (ID)" is two words in the header and in each row
            if "COORDINATOR" in header:
                header = ["GROUP", "COORDINATOR", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"]
                rows = []
                for row in lines[i + 1:]:
                    f = row.split()
                    rows.append({"GROUP": f[0], "COORDINATOR": " ".join(f[1:3]),
                                 "ASSIGNMENT-STRATEGY": f[3] if len(f) == 6 else "",
                                 "STATE": f[-2], "#MEMBERS": f[-1]})
                return rows
            return [dict(zip(header, row.split())) for row in lines[i + 1:]]
    raise AssertionError(f"no table in output:\n{text}")


def wait_for(predicate, timeout, what, interval=0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def describe_group(broker, group):
    with kw.Conn(broker.port) as c:
        (g,) = kw.describe_groups_v0(c, [group])
    return g


def fetch_committed(broker, group, partitions=None):
    with kw.Conn(broker.port) as c:
        return kw.committed_offsets(c, group, partitions)


# ---------------------------------------------------------------------- shared-broker tests
class GroupsTest(SharedBrokerTestCase):
    SHARED_OVERRIDES = BROKER_OVERRIDES
    SHARED_NAME = "groups"

    def member(self, group, topic, name, **kw_):
        m = Member(self.broker, group, topic, name, **kw_)
        self.addCleanup(m.close)
        return m

    def child(self, group, topic, name, **kw_):
        c = ChildConsumer(self.broker, group, topic, name, **kw_)
        self.addCleanup(c.cleanup)
        return c

    # ------------------------------------------------------------------ 1. split
    def test_members_split_partitions_and_consume_exactly_once(self):
        topic, group, n = "split", "g-split", 6
        create_topic(self.broker, topic, n)
        members = [self.member(group, topic, f"split-{i}") for i in range(3)]
        poll_until(members, lambda: partitions_split([m.owned for m in members], n),
                   30, "3 members owning 6 partitions", quiet=1.5)
        for m in members:
            self.assertEqual(len(m.owned), 2, f"{m.name} owns {sorted(m.owned)} (range: 2 each)")

        # The broker's view (DescribeGroups) matches what the members were given.
        g = describe_group(self.broker, group)
        self.assertEqual((g["error"], g["state"], g["protocol_type"]), (0, "Stable", "consumer"))
        self.assertEqual(len(g["members"]), 3)
        broker_view = {m["client_id"]: set(kw.parse_consumer_assignment(m["assignment"])
                                           .get(topic, []))
                       for m in g["members"]}
        self.assertEqual(broker_view, {m.name: m.owned for m in members})

        records = produce(self.broker.bootstrap, topic,
                          [(f"k{i % 97}", f"v{i}") for i in range(3000)])
        owned_before = [set(m.owned) for m in members]
        poll_until(members, lambda: sum(len(m.records) for m in members) >= len(records),
                   CLIENT_TIMEOUT, "all 3000 records consumed")
        for m in members:
            m.poll(0.3)  # anything extra (a duplicate) shows up now
        self.assertEqual([set(m.owned) for m in members], owned_before, "assignment changed")
        for m in members:
            self.assertEqual(m.commit_errors, [], f"{m.name} commit errors")
            self.assertTrue({p for p, *_ in m.records} <= m.owned,
                            f"{m.name} read partitions it does not own")
        seen = collections.Counter((p, o) for m in members for p, o, _, _ in m.records)
        dup = [k for k, c in seen.items() if c > 1]
        self.assertEqual(dup, [], "records consumed more than once")
        self.assertEqual(set(seen), {(p, o) for p, o, _, _ in records})
        highs = {p: watermarks(self.broker, topic, p)[1] for p in range(n)}
        self.assertEqual(fetch_committed(self.broker, group, {topic: range(n)}),
                         {(topic, p): highs[p] for p in range(n)})

        for m in members:
            m.close()
        g = describe_group(self.broker, group)
        self.assertEqual((g["state"], g["members"]), ("Empty", []))

    # ------------------------------------------------------------------ 2. leave / crash
    def test_leave_and_crash_reassign_partitions(self):
        topic, group, n = "failover", "g-failover", 6
        create_topic(self.broker, topic, n)
        a = self.member(group, topic, "fo-a")
        b = self.member(group, topic, "fo-b")
        crash = self.child(group, topic, "fo-crash")
        everyone = [a, b]
        poll_until(everyone, lambda: partitions_split([a.owned, b.owned, crash.owned], n),
                   30, "3 members owning 6 partitions", quiet=1.5, extra_poll=crash.drain)

        # A clean leave (LeaveGroup) moves a's partitions right away.
        t0 = time.monotonic()
        a.close()
        poll_until([b], lambda: partitions_split([b.owned, crash.owned], n), 15,
                   "a's partitions moved to b and the child", quiet=1.0, extra_poll=crash.drain)
        leave_s = time.monotonic() - t0 - 1.0
        self.assertLess(leave_s, 5.0, "rebalance after LeaveGroup took too long")

        # A crashed member (no LeaveGroup) is dropped when its session times out.
        self.assertTrue(crash.owned)
        t0 = time.monotonic()
        crash.kill()
        poll_until([b], lambda: b.owned == set(range(n)), SESSION_MS / 1000 + 15,
                   "b owning every partition after the child was killed")
        crash_s = time.monotonic() - t0
        print(f"\n  reassigned after LeaveGroup in {leave_s:.1f}s, after SIGKILL in "
              f"{crash_s:.1f}s (session.timeout.ms={SESSION_MS})", end=" ")
        self.assertLess(crash_s, SESSION_MS / 1000 + 3.0,
                        "partitions of a crashed member not reassigned within its session "
                        "timeout + 3s")
        g = describe_group(self.broker, group)
        self.assertEqual([m["client_id"] for m in g["members"]], ["fo-b"])

    # ------------------------------------------------------------------ 3. cooperative
    def test_cooperative_sticky_rebalances_incrementally(self):
        topic, group, n = "coop", "g-coop", 6
        create_topic(self.broker, topic, n)
        conf = {"partition.assignment.strategy": "cooperative-sticky"}
        a = self.member(group, topic, "coop-a", **conf)
        poll_until([a], lambda: a.owned == set(range(n)), 30, "a owning all partitions",
                   quiet=1.0)
        b = self.member(group, topic, "coop-b", **conf)
        poll_until([a, b], lambda: partitions_split([a.owned, b.owned], n) and
                   len(a.owned) == 3, 30, "a and b owning 3 partitions each", quiet=1.5)
        before = {"coop-a": set(a.owned), "coop-b": set(b.owned)}
        mark = {m.name: len(m.events) for m in (a, b)}

        c = self.member(group, topic, "coop-c", **conf)
        members = [a, b, c]
        poll_until(members, lambda: partitions_split([m.owned for m in members], n) and
                   all(len(m.owned) == 2 for m in members), 30,
                   "a, b and c owning 2 partitions each", quiet=2.0)

        for m in (a, b):
            events = m.events[mark[m.name]:]
            revoked = set().union(*[ps for _, k, ps, _ in events if k in ("revoke", "lost")])
            assigned = set().union(*[ps for _, k, ps, _ in events if k == "assign"])
            self.assertFalse([e for e in events if e[1] == "lost"], f"{m.name}: partitions lost")
            self.assertTrue(m.owned <= before[m.name],
                            f"{m.name} owned {sorted(before[m.name])}, now {sorted(m.owned)}")
            self.assertFalse(assigned, f"{m.name} was (re)assigned {sorted(assigned)}: "
                             f"the revocation was not incremental; events {m.history()}")
            self.assertEqual(revoked, before[m.name] - m.owned,
                             f"{m.name} revoked more than it gave up; events {m.history()}")
            for _, _, _, owned_after in events:
                self.assertTrue(owned_after, f"{m.name} lost all its partitions during the "
                                f"rebalance; events {m.history()}")
        self.assertEqual(c.owned, (before["coop-a"] | before["coop-b"]) - a.owned - b.owned)

        # Records produced now reach their owners; nothing is lost.
        records = produce(self.broker.bootstrap, topic, [(f"k{i}", f"v{i}") for i in range(600)])
        poll_until(members, lambda: len({(p, o) for m in members for p, o, *_ in m.records})
                   >= len(records), CLIENT_TIMEOUT, "600 records consumed")
        for m in members:
            self.assertTrue({p for p, *_ in m.records} <= m.owned)
            self.assertEqual(m.commit_errors, [])

    # ------------------------------------------------------------------ 5. other clients
    def test_kafka_python_and_kcat_groups(self):
        topic, n_parts, n = "otherclients", 3, 900
        create_topic(self.broker, topic, n_parts)
        records = produce(self.broker.bootstrap, topic, [(f"k{i}", f"v{i}") for i in range(n)])
        kcat = subprocess.Popen(
            ["kcat", "-b", self.broker.bootstrap, "-G", "g-kcat", topic, "-c", str(n), "-q",
             "-f", "%p\t%o\t%k\t%s\n", "-X", "auto.offset.reset=earliest",
             "-X", "session.timeout.ms=6000"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: kcat.poll() is None and (kcat.kill(), kcat.wait()))

        from kafka import KafkaConsumer
        kp = KafkaConsumer(topic, bootstrap_servers=self.broker.bootstrap, group_id="g-kp",
                           client_id="kp-client", auto_offset_reset="earliest",
                           enable_auto_commit=True, auto_commit_interval_ms=300,
                           session_timeout_ms=6000, heartbeat_interval_ms=1000)
        self.addCleanup(kp.close, autocommit=False)
        got = []
        deadline = time.monotonic() + CLIENT_TIMEOUT
        while len(got) < n and time.monotonic() < deadline:
            for tp, msgs in kp.poll(timeout_ms=200).items():
                got.extend((tp.partition, m.offset) for m in msgs)
        self.assertEqual(sorted(got), sorted((p, o) for p, o, _, _ in records))

        # Auto-commit (during poll) catches up; `tern consumer-groups` shows it, with the
        # member still in the group.
        def caught_up():
            kp.poll(timeout_ms=100)
            r = tern("consumer-groups", "--bootstrap-server", self.broker.bootstrap,
                     "--describe", "--group", "g-kp")
            rows = cli_table(r.stdout) if r.returncode == 0 else []
            ok = len(rows) == n_parts and all(row["LAG"] == "0" for row in rows)
            return rows if ok else None
        rows = wait_for(caught_up, 20, "kafka-python's commits at the log end")
        for row in rows:
            self.assertEqual(row["CURRENT-OFFSET"], row["LOG-END-OFFSET"])
            self.assertEqual(row["CLIENT-ID"], "kp-client")
            self.assertNotEqual(row["CONSUMER-ID"], "-")

        try:
            out, err = kcat.communicate(timeout=CLIENT_TIMEOUT)
        except subprocess.TimeoutExpired:
            kcat.kill()
            out, err = kcat.communicate()
            self.fail(f"kcat -G did not read {n} records: {len(out.splitlines())} lines; "
                      f"stderr {err.decode()[-2000:]}")
        self.assertEqual(kcat.returncode, 0, err.decode()[-2000:])
        kcat_got = [tuple(map(int, ln.split("\t")[:2])) for ln in out.decode().splitlines()]
        self.assertEqual(sorted(kcat_got), sorted((p, o) for p, o, _, _ in records))
        # kcat commits on exit: its group has no lag either.
        committed = fetch_committed(self.broker, "g-kcat", {topic: range(n_parts)})
        self.assertEqual(committed, {(topic, p): watermarks(self.broker, topic, p)[1]
                                     for p in range(n_parts)})

    # ------------------------------------------------------------------ 6. compaction
    def test_compaction_keeps_latest_value_per_key(self):
        topic = "compacted"
        create_topic(self.broker, topic, 1, config={
            "cleanup.policy": "compact", "segment.bytes": "16384", "delete.retention.ms": "3000"})
        keys = [f"key-{i}" for i in range(10)]
        dead_key = "key-3"
        produced = []
        for rnd in range(12):
            produced += produce(self.broker.bootstrap, topic,
                                [(k, f"{k} round {rnd} " + "x" * 600) for k in keys],
                                compression="lz4" if rnd % 2 else None)
        produced += produce(self.broker.bootstrap, topic, [(dead_key, None)])
        # Unique keys after the last round roll the segment holding it (they all stay).
        for rnd in range(5):
            produced += produce(self.broker.bootstrap, topic,
                                [(f"filler-{rnd}-{i}", "y" * 600) for i in range(10)])
        high = watermarks(self.broker, topic)[1]
        self.assertEqual(high, len(produced))
        self.assertEqual([o for _, o, _, _ in produced], list(range(high)))
        self.assertGreater(len(self.broker.segment_files(topic)), 3)

        latest = {}
        for p, o, k, v in produced:
            latest[k] = (o, v)
        expected = sorted((o, k, v) for k, (o, v) in latest.items() if k != dead_key.encode())

        def compacted():
            got = read_all(self.broker, topic)
            return got if got == expected else None
        try:
            wait_for(compacted, 30, "compaction", interval=0.5)
        except AssertionError:
            got = read_all(self.broker, topic)
            per_key = collections.Counter(k for _, k, _ in got)
            self.fail(f"after 30s: {len(got)} records, expected {len(expected)}; records per "
                      f"key {dict(per_key)}; missing "
                      f"{[(o, k) for o, k, _ in sorted(set(expected) - set(got))][:10]}; "
                      f"unexpected {[(o, k) for o, k, _ in sorted(set(got) - set(expected))][:10]}")

        lo, hi = watermarks(self.broker, topic)
        self.assertEqual((lo, hi), (0, high), "compaction moved the log start or end")
        for name in self.broker.segment_files(topic):
            with open(os.path.join(self.broker.partition_dir(topic), name), "rb") as f:
                batches = kw.parse_batches(f.read())
            self.assertTrue(all(b["crc_ok"] for b in batches), f"bad CRC in {name}")
            self.assertTrue(all(b["count"] > 0 for b in batches), f"empty batch in {name}")
        # Fetching from a removed offset returns the next record that is left.
        first_kept = min(o for o, _, _ in expected if o >= 5)
        got = read_all(self.broker, topic, start=5)
        self.assertEqual(got[0][0], first_kept)
        # kcat (another librdkafka path) reads the same.
        r = subprocess.run(["kcat", "-C", "-b", self.broker.bootstrap, "-t", topic, "-o",
                            "beginning", "-e", "-q", "-f", "%o\n"],
                           capture_output=True, timeout=CLIENT_TIMEOUT)
        self.assertEqual([int(x) for x in r.stdout.split()], [o for o, _, _ in expected])

    def test_compacted_topic_refuses_records_without_key(self):
        from confluent_kafka import KafkaError, Producer
        topic = "compacted-nokey"
        create_topic(self.broker, topic, 1, config={"cleanup.policy": "compact"})
        produce(self.broker.bootstrap, topic, [("k", "keyed")])
        p = Producer({"bootstrap.servers": self.broker.bootstrap, "message.timeout.ms": 10000,
                      "enable.idempotence": False})
        reports = []
        p.produce(topic, value=b"no key", on_delivery=lambda err, msg: reports.append(err))
        self.assertEqual(p.flush(15), 0)
        self.assertEqual(len(reports), 1)
        self.assertIsNotNone(reports[0], "a record without a key was accepted")
        self.assertEqual(reports[0].code(), KafkaError.INVALID_RECORD, str(reports[0]))
        self.assertEqual(reports[0].code(), INVALID_RECORD)
        self.assertEqual(watermarks(self.broker, topic), (0, 1))

    # ------------------------------------------------------------------ 7. bad input
    def raw_member(self, conn, group, topic, version=5, **kw_):
        """Join as a new dynamic member (MEMBER_ID_REQUIRED round trip); -> join result."""
        sub = kw.consumer_subscription([topic])
        r = kw.join_group(conn, version, group_id=group, protocols=[("range", sub)], **kw_)
        self.assertEqual(r["error"], MEMBER_ID_REQUIRED, r)
        self.assertTrue(r["member_id"], r)
        return r["member_id"]

    def test_join_sync_commit_errors(self):
        topic, group = "raw-groups", "g-raw"
        create_topic(self.broker, topic, 2)
        sub = [("range", kw.consumer_subscription([topic]))]
        tp0 = (topic, 0)
        with kw.Conn(self.broker.port) as c1, kw.Conn(self.broker.port) as c2, \
                kw.Conn(self.broker.port) as c3:
            # v4+: the first JoinGroup only hands out a member id.
            m1 = self.raw_member(c1, group, topic)
            j = kw.join_group(c1, 5, group_id=group, member_id=m1, protocols=sub,
                              rebalance_timeout_ms=5000)
            self.assertEqual((j["error"], j["generation"], j["leader"], j["member_id"]),
                             (NONE, 1, m1, m1))
            self.assertEqual([m["member_id"] for m in j["members"]], [m1])
            err, a = kw.sync_group_v3(c1, group, 1, m1,
                                      {m1: kw.consumer_assignment({topic: [0, 1]})})
            self.assertEqual((err, kw.parse_consumer_assignment(a)), (NONE, {topic: [0, 1]}))
            self.assertEqual(kw.heartbeat_v3(c1, group, 1, m1), NONE)
            self.assertEqual(kw.offset_commit_v7(c1, group, 1, m1, {tp0: 5}), {tp0: NONE})
            self.assertEqual(kw.committed_offsets(c1, group, {topic: [0]}), {tp0: 5})

            # Before v4 a member id is handed out with the first answer; still generation 1
            # until the other member rejoins, so send it and let it wait.
            m2 = self.raw_member(c2, group, topic)
            corr2 = kw.send_join_group(c2, 5, group_id=group, member_id=m2, protocols=sub,
                                       rebalance_timeout_ms=5000)
            time.sleep(0.3)
            self.assertEqual(kw.heartbeat_v3(c1, group, 1, m1), REBALANCE_IN_PROGRESS)
            # Other protocol types or no common assignor: INCONSISTENT_GROUP_PROTOCOL.
            with self.subTest("protocol_type connect"):
                r = kw.join_group(c3, 5, group_id=group, protocol_type="connect", protocols=sub)
                self.assertEqual(r["error"], INCONSISTENT_GROUP_PROTOCOL, r)
            with self.subTest("no common assignor"):
                r = kw.join_group(c3, 5, group_id=group,
                                  protocols=[("no-such-assignor", sub[0][1])])
                self.assertEqual(r["error"], INCONSISTENT_GROUP_PROTOCOL, r)
            corr1 = kw.send_join_group(c1, 5, group_id=group, member_id=m1, protocols=sub,
                                       rebalance_timeout_ms=5000)
            j1 = kw.parse_join_group_response(5, kw.recv_response(c1, corr1))
            j2 = kw.parse_join_group_response(5, kw.recv_response(c2, corr2))
            self.assertEqual((j1["error"], j1["generation"], j1["leader"]), (NONE, 2, m1))
            self.assertEqual((j2["error"], j2["generation"], j2["leader"]), (NONE, 2, m1))
            self.assertEqual(sorted(m["member_id"] for m in j1["members"]), sorted([m1, m2]))
            self.assertEqual(j2["members"], [])
            corr2 = kw.send_sync_group_v3(c2, group, 2, m2)
            err, a1 = kw.sync_group_v3(c1, group, 2, m1, {
                m1: kw.consumer_assignment({topic: [0]}),
                m2: kw.consumer_assignment({topic: [1]})})
            err2, a2 = kw.parse_sync_group_v3_response(kw.recv_response(c2, corr2))
            self.assertEqual((err, err2), (NONE, NONE))
            self.assertEqual(kw.parse_consumer_assignment(a2), {topic: [1]})

            # A stale generation changes nothing.
            self.assertEqual(kw.offset_commit_v7(c1, group, 1, m1, {tp0: 99}),
                             {tp0: ILLEGAL_GENERATION})
            self.assertEqual(kw.committed_offsets(c1, group, {topic: [0]}), {tp0: 5})
            self.assertEqual(kw.heartbeat_v3(c1, group, 1, m1), ILLEGAL_GENERATION)
            self.assertEqual(kw.sync_group_v3(c1, group, 1, m1)[0], ILLEGAL_GENERATION)
            # Unknown member ids neither.
            self.assertEqual(kw.offset_commit_v7(c1, group, 2, "no-such-member", {tp0: 99}),
                             {tp0: UNKNOWN_MEMBER_ID})
            self.assertEqual(kw.heartbeat_v3(c1, group, 2, "no-such-member"), UNKNOWN_MEMBER_ID)
            self.assertEqual(kw.committed_offsets(c1, group, {topic: [0]}), {tp0: 5})
            # Unknown partitions and oversized metadata are refused per partition.
            self.assertEqual(kw.offset_commit_v7(c1, group, 2, m1, {
                tp0: 8, ("no-such-topic", 0): 1, (topic, 7): 1, (topic, 1): (1, "m" * 5000)}),
                {tp0: NONE, ("no-such-topic", 0): 3, (topic, 7): 3, (topic, 1): 12})
            self.assertEqual(kw.offset_commit_v7(c1, group, 2, m1, {tp0: 5}), {tp0: NONE})
            # The current generation commits.
            self.assertEqual(kw.heartbeat_v3(c2, group, 2, m2), NONE)
            self.assertEqual(kw.offset_commit_v7(c2, group, 2, m2, {(topic, 1): 7}),
                             {(topic, 1): NONE})

            # LeaveGroup v3 removes both at once; the group is Empty and keeps its offsets.
            err, per = kw.leave_group_v3(c1, group, [(m1, None), (m2, None)])
            self.assertEqual((err, [e for _, _, e in per]), (NONE, [NONE, NONE]))
            g = kw.describe_groups_v0(c1, [group])[0]
            self.assertEqual((g["state"], g["members"]), ("Empty", []))
            self.assertEqual(kw.committed_offsets(c1, group, {topic: [0, 1]}),
                             {tp0: 5, (topic, 1): 7})
            # Without members, commits with generation -1 (no member id) are accepted.
            self.assertEqual(kw.offset_commit_v7(c1, group, -1, "", {tp0: 6}), {tp0: NONE})
            self.assertEqual(kw.committed_offsets(c1, group, {topic: [0]}), {tp0: 6})

    def test_join_group_v3_needs_no_member_id_round_trip(self):
        topic, group = "raw-v3", "g-raw-v3"
        create_topic(self.broker, topic, 1)
        with kw.Conn(self.broker.port) as c:
            r = kw.join_group(c, 3, group_id=group,
                              protocols=[("range", kw.consumer_subscription([topic]))])
            self.assertEqual((r["error"], r["generation"]), (NONE, 1), r)
            self.assertTrue(r["member_id"])
            self.assertEqual(r["leader"], r["member_id"])
            err, per = kw.leave_group_v3(c, group, [(r["member_id"], None)])
            self.assertEqual((err, per[0][2]), (NONE, NONE))

    def test_invalid_group_ids_and_session_timeouts(self):
        topic = "raw-invalid"
        create_topic(self.broker, topic, 1)
        sub = [("range", kw.consumer_subscription([topic]))]
        with kw.Conn(self.broker.port) as c:
            for gid in ("", "g" * 256):
                with self.subTest(group_id=gid[:8], length=len(gid)):
                    r = kw.join_group(c, 5, group_id=gid, protocols=sub)
                    self.assertEqual(r["error"], INVALID_GROUP_ID, r)
                    r = kw.join_group(c, 3, group_id=gid, protocols=sub)
                    self.assertEqual(r["error"], INVALID_GROUP_ID, r)
                    # (Kafka itself accepts "" for OffsetCommit/OffsetFetch, for old
                    # clients; tern refuses it, as the project specifies.)
                    self.assertEqual(kw.offset_commit_v7(c, gid, -1, "", {(topic, 0): 1}),
                                     {(topic, 0): INVALID_GROUP_ID})
                    self.assertEqual(kw.heartbeat_v3(c, gid, 1, "m"), INVALID_GROUP_ID)
                    self.assertEqual(kw.sync_group_v3(c, gid, 1, "m")[0], INVALID_GROUP_ID)
            # Session timeouts outside group.{min,max}.session.timeout.ms.
            for ms in (500, 1800001):
                r = kw.join_group(c, 5, group_id="g-session", protocols=sub,
                                  session_timeout_ms=ms)
                self.assertEqual(r["error"], 26, f"session.timeout.ms={ms}: {r}")
            # 255 characters are fine.
            r = kw.join_group(c, 5, group_id="g" * 255, protocols=sub)
            self.assertEqual(r["error"], MEMBER_ID_REQUIRED, r)
            self.assertEqual(kw.offset_commit_v7(c, "h" * 255, -1, "", {(topic, 0): 1}),
                             {(topic, 0): NONE})
            err, groups = kw.list_groups_v0(c)
            self.assertNotIn("", groups)
            self.assertNotIn("g" * 256, groups)

    def test_static_member_rejoin_fences_old_member_id(self):
        topic, group, inst = "raw-static", "g-static", "instance-1"
        create_topic(self.broker, topic, 2)
        sub = [("range", kw.consumer_subscription([topic]))]
        tp = (topic, 0)
        with kw.Conn(self.broker.port) as c1, kw.Conn(self.broker.port) as c2:
            # Static members get their member id at once (no MEMBER_ID_REQUIRED).
            j = kw.join_group(c1, 5, group_id=group, group_instance_id=inst, protocols=sub)
            self.assertEqual(j["error"], NONE, j)
            old, gen = j["member_id"], j["generation"]
            self.assertEqual(j["members"], [{"member_id": old, "group_instance_id": inst,
                                             "metadata": sub[0][1]}])
            err, _ = kw.sync_group_v3(c1, group, gen, old,
                                      {old: kw.consumer_assignment({topic: [0, 1]})},
                                      group_instance_id=inst)
            self.assertEqual(err, NONE)
            self.assertEqual(kw.offset_commit_v7(c1, group, gen, old, {tp: 3},
                                                 group_instance_id=inst), {tp: NONE})

            # The same instance restarts (no member id): a new id, no rebalance.
            j2 = kw.join_group(c2, 5, group_id=group, group_instance_id=inst, protocols=sub)
            new = j2["member_id"]
            self.assertEqual((j2["error"], j2["generation"]), (NONE, gen), j2)
            self.assertNotEqual(new, old)
            err, a = kw.sync_group_v3(c2, group, gen, new, group_instance_id=inst)
            self.assertEqual((err, kw.parse_consumer_assignment(a)), (NONE, {topic: [0, 1]}))
            self.assertEqual(kw.heartbeat_v3(c2, group, gen, new, inst), NONE)

            # The old id with the instance id is fenced (Kafka: FENCED_INSTANCE_ID, since
            # the instance now maps to another member id), on every API.
            with self.subTest("Heartbeat old member id"):
                self.assertEqual(kw.heartbeat_v3(c1, group, gen, old, inst), FENCED_INSTANCE_ID)
            with self.subTest("OffsetCommit old member id"):
                self.assertEqual(kw.offset_commit_v7(c1, group, gen, old, {tp: 99},
                                                     group_instance_id=inst),
                                 {tp: FENCED_INSTANCE_ID})
            with self.subTest("SyncGroup old member id"):
                self.assertEqual(kw.sync_group_v3(c1, group, gen, old,
                                                  group_instance_id=inst)[0],
                                 FENCED_INSTANCE_ID)
            with self.subTest("JoinGroup old member id"):
                r = kw.join_group(c1, 5, group_id=group, member_id=old, group_instance_id=inst,
                                  protocols=sub)
                self.assertEqual(r["error"], FENCED_INSTANCE_ID, r)
            with self.subTest("LeaveGroup old member id"):
                err, per = kw.leave_group_v3(c1, group, [(old, inst)])
                self.assertEqual((err, per[0][2]), (NONE, FENCED_INSTANCE_ID))
            # Without the instance id the old id is simply unknown.
            self.assertEqual(kw.heartbeat_v3(c1, group, gen, old), UNKNOWN_MEMBER_ID)
            self.assertEqual(kw.committed_offsets(c1, group, {topic: [0]}), {tp: 3})
            g = kw.describe_groups_v0(c1, [group])[0]
            self.assertEqual((g["state"], [m["member_id"] for m in g["members"]]),
                             ("Stable", [new]))
            # Kafka answers a static member rejoining a Stable group with the *old* leader
            # id and no member list, so the restarted leader does not run an assignment
            # that the Stable group would never hand out.
            with self.subTest("static rejoin answer names the previous leader"):
                self.assertEqual((j2["leader"], j2["members"]), (old, []))
            # LeaveGroup by instance id (member id unknown to the caller) removes it.
            err, per = kw.leave_group_v3(c2, group, [("", inst)])
            self.assertEqual((err, per[0][2]), (NONE, NONE))
            self.assertEqual(kw.describe_groups_v0(c2, [group])[0]["state"], "Empty")

    def test_simple_commit_to_active_group_is_unknown_member(self):
        # Kafka: a commit without member id and generation -1 (consumers that assign
        # partitions themselves, admin AlterConsumerGroupOffsets) to a group that has
        # members gets UNKNOWN_MEMBER_ID ("only members can commit offsets").
        topic, group = "raw-simple", "g-simple"
        create_topic(self.broker, topic, 1)
        tp = (topic, 0)
        with kw.Conn(self.broker.port) as c:
            m = self.raw_member(c, group, topic)
            j = kw.join_group(c, 5, group_id=group, member_id=m,
                              protocols=[("range", kw.consumer_subscription([topic]))])
            self.assertEqual(kw.sync_group_v3(c, group, j["generation"], m,
                                              {m: kw.consumer_assignment({topic: [0]})})[0],
                             NONE)
            self.assertEqual(kw.offset_commit_v7(c, group, -1, "", {tp: 4}),
                             {tp: UNKNOWN_MEMBER_ID})
            self.assertEqual(kw.committed_offsets(c, group, {topic: [0]}), {tp: -1})

    def test_member_not_rejoining_is_dropped_after_rebalance_timeout(self):
        # A member that keeps heartbeating but does not rejoin is removed when the rebalance
        # timeout (the largest of the members') passes; the rebalance completes without it.
        topic, group = "raw-rebalance-timeout", "g-rebalance-timeout"
        create_topic(self.broker, topic, 2)
        sub = [("range", kw.consumer_subscription([topic]))]
        opts = dict(group_id=group, protocols=sub, session_timeout_ms=10000,
                    rebalance_timeout_ms=2000)
        with kw.Conn(self.broker.port) as c1, kw.Conn(self.broker.port) as c2:
            m1 = self.raw_member(c1, group, topic)
            j = kw.join_group(c1, 5, member_id=m1, **opts)
            self.assertEqual(kw.sync_group_v3(c1, group, j["generation"], m1)[0], NONE)
            m2 = self.raw_member(c2, group, topic)
            t0 = time.monotonic()
            corr = kw.send_join_group(c2, 5, member_id=m2, **opts)
            c2.sock.setblocking(False)
            beats = []
            while time.monotonic() - t0 < 8:
                beats.append(kw.heartbeat_v3(c1, group, j["generation"], m1))
                try:
                    if c2.sock.recv(1, socket.MSG_PEEK):
                        break
                except BlockingIOError:
                    pass
                time.sleep(0.2)
            c2.sock.setblocking(True)
            c2.sock.settimeout(10)
            j2 = kw.parse_join_group_response(5, kw.recv_response(c2, corr))
            waited = time.monotonic() - t0
            # REBALANCE_IN_PROGRESS until the rebalance completes without it, then unknown.
            # The join travels on another connection, so a first heartbeat may still reach the
            # broker before it and be answered NONE.
            while beats and beats[-1] == UNKNOWN_MEMBER_ID:
                beats.pop()
            while beats and beats[0] == NONE:
                beats.pop(0)
            self.assertTrue(beats)
            self.assertEqual(set(beats), {REBALANCE_IN_PROGRESS})
            self.assertEqual((j2["error"], j2["generation"], j2["leader"]),
                             (NONE, j["generation"] + 1, m2))
            self.assertEqual([m["member_id"] for m in j2["members"]], [m2])
            self.assertGreater(waited, 1.5)
            self.assertLess(waited, 5.0)
            self.assertEqual(kw.heartbeat_v3(c1, group, j["generation"], m1), UNKNOWN_MEMBER_ID)

    def test_tombstone_kept_for_delete_retention_after_cleaning(self):
        # delete.retention.ms is how long a tombstone stays readable once the cleaner has
        # seen it (Kafka: the batch's delete horizon is set at the first cleaning, KIP-534;
        # before 3.1 the cleaned segment's mtime) -- not the record's CreateTime. A tombstone
        # copied with its original, old timestamp (MirrorMaker) must still reach consumers
        # that read the log within delete.retention.ms.
        topic = "compacted-old-tombstone"
        create_topic(self.broker, topic, 1, config={
            "cleanup.policy": "compact", "segment.bytes": "16384",
            "delete.retention.ms": "60000"})
        produced = produce(self.broker.bootstrap, topic,
                           [("victim", "v" * 500)] + [(f"k{i}", "x" * 500) for i in range(5)])
        from confluent_kafka import Producer
        p = Producer({"bootstrap.servers": self.broker.bootstrap, "enable.idempotence": False})
        p.produce(topic, key=b"victim", value=None,
                  timestamp=int(time.time() * 1000) - 3600 * 1000)
        self.assertEqual(p.flush(15), 0)
        tombstone_offset = len(produced)
        for rnd in range(4):
            produce(self.broker.bootstrap, topic, [(f"filler-{rnd}-{i}", "y" * 600)
                                                    for i in range(10)])

        def cleaned():
            recs = read_all(self.broker, topic)
            return recs if all(o != produced[0][1] for o, _, _ in recs) else None
        recs = wait_for(cleaned, 30, "the victim's value to be compacted away", interval=0.5)
        victim = [(o, v) for o, k, v in recs if k == b"victim"]
        self.assertEqual(victim, [(tombstone_offset, None)],
                         "tombstone dropped at the first cleaning, long before "
                         "delete.retention.ms (60 s): its age was taken from the record's "
                         "CreateTime (1 h ago)")

    # ------------------------------------------------------------------ 8. CLI
    def cg(self, *args, ok=True):
        r = tern("consumer-groups", "--bootstrap-server", self.broker.bootstrap, *args)
        if ok:
            self.assertEqual(r.returncode, 0, f"consumer-groups {' '.join(args)}\n{show(r)}")
        else:
            self.assertNotEqual(r.returncode, 0,
                                f"consumer-groups {' '.join(args)} should fail\n{show(r)}")
            self.assertTrue(r.stderr.strip(), f"no error message\n{show(r)}")
        return r

    def offsets_table(self, group):
        rows = cli_table(self.cg("--describe", "--group", group).stdout)
        return {int(r["PARTITION"]): r for r in rows}

    def test_consumer_groups_cli(self):
        tern_binary()
        topic, group, n = "cli-groups", "g-cli", 3
        create_topic(self.broker, topic, n)
        for p in range(n):
            produce(self.broker.bootstrap, topic, [(f"k{i}", f"p{p}-{i}") for i in range(10)],
                    partition=p)
        m = self.member(group, topic, "cli-member")
        poll_until([m], lambda: len(m.records) >= 30, 30, "30 records consumed")
        self.assertEqual(m.commit_errors, [])

        self.assertIn(group, self.cg("--list").stdout.split())
        rows = self.offsets_table(group)
        self.assertEqual(sorted(rows), [0, 1, 2])
        for p, r in rows.items():
            self.assertEqual((r["GROUP"], r["TOPIC"]), (group, topic))
            self.assertEqual((r["CURRENT-OFFSET"], r["LOG-END-OFFSET"], r["LAG"]),
                             ("10", "10", "0"), r)
            self.assertEqual(r["CLIENT-ID"], "cli-member")
            self.assertTrue(r["CONSUMER-ID"].startswith("cli-member"), r)
            self.assertTrue(r["HOST"].lstrip("/").startswith("127.0.0.1"), r)
        members = cli_table(self.cg("--describe", "--group", group, "--members").stdout)
        self.assertEqual(len(members), 1)
        self.assertEqual((members[0]["CLIENT-ID"], members[0]["#PARTITIONS"]), ("cli-member", "3"))
        verbose = cli_table(self.cg("--describe", "--group", group, "--members",
                                    "--verbose").stdout)
        self.assertEqual(verbose[0]["ASSIGNMENT"], f"{topic}(0,1,2)")
        (state,) = cli_table(self.cg("--describe", "--group", group, "--state").stdout)
        self.assertEqual((state["STATE"], state["#MEMBERS"], state["ASSIGNMENT-STRATEGY"]),
                         ("Stable", "1", "range"))

        # An active group is neither reset nor deleted.
        r = self.cg("--reset-offsets", "--group", group, "--topic", topic, "--to-earliest",
                    "--execute", ok=False)
        self.assertIn("inactive", r.stderr)
        self.cg("--delete", "--group", group, ok=False)
        self.assertEqual({p: r["CURRENT-OFFSET"] for p, r in self.offsets_table(group).items()},
                         {0: "10", 1: "10", 2: "10"})

        m.close()
        (state,) = cli_table(self.cg("--describe", "--group", group, "--state").stdout)
        self.assertEqual((state["STATE"], state["#MEMBERS"]), ("Empty", "0"))
        r = self.cg("--describe", "--group", group)
        self.assertIn(f"Consumer group '{group}' has no active members.", r.stdout)

        def current():
            return {p: int(r["CURRENT-OFFSET"]) for p, r in self.offsets_table(group).items()}

        # --dry-run shows the plan and changes nothing.
        r = self.cg("--reset-offsets", "--group", group, "--topic", topic, "--to-earliest",
                    "--dry-run")
        self.assertEqual({int(x["PARTITION"]): x["NEW-OFFSET"] for x in cli_table(r.stdout)},
                         {0: "0", 1: "0", 2: "0"})
        self.assertEqual(current(), {0: 10, 1: 10, 2: 10})

        self.cg("--reset-offsets", "--group", group, "--topic", topic, "--to-earliest",
                "--execute")
        self.assertEqual(current(), {0: 0, 1: 0, 2: 0})
        self.assertEqual({p: r["LAG"] for p, r in self.offsets_table(group).items()},
                         {0: "10", 1: "10", 2: "10"})
        # A consumer in the group now reads everything again, from offset 0.
        m2 = self.member(group, topic, "cli-member-2")
        poll_until([m2], lambda: len(m2.records) >= 30, 30, "30 records re-read")
        firsts = {}
        for p, o, _, _ in m2.records:
            firsts.setdefault(p, o)
        self.assertEqual(firsts, {0: 0, 1: 0, 2: 0})
        self.assertEqual(len(m2.records), 30)
        m2.close()
        self.assertEqual(current(), {0: 10, 1: 10, 2: 10})

        self.cg("--reset-offsets", "--group", group, "--all-topics", "--shift-by", "-5",
                "--execute")
        self.assertEqual(current(), {0: 5, 1: 5, 2: 5})
        self.cg("--reset-offsets", "--group", group, "--topic", f"{topic}:0,2", "--to-offset",
                "3", "--execute")
        self.assertEqual(current(), {0: 3, 1: 5, 2: 3})
        self.cg("--reset-offsets", "--group", group, "--topic", f"{topic}:1", "--to-latest",
                "--execute")
        self.assertEqual(current(), {0: 3, 1: 10, 2: 3})
        self.assertEqual(fetch_committed(self.broker, group, {topic: range(n)}),
                         {(topic, 0): 3, (topic, 1): 10, (topic, 2): 3})

        r = self.cg("--delete", "--group", group)
        self.assertIn(f"'{group}'", r.stdout)
        self.assertNotIn(group, self.cg("--list").stdout.split())
        self.assertEqual(fetch_committed(self.broker, group, {topic: range(n)}),
                         {(topic, p): -1 for p in range(n)})
        r = self.cg("--describe", "--group", group, ok=False)
        self.assertIn("does not exist", r.stderr)
        self.assertEqual(describe_group(self.broker, group)["state"], "Dead")
        self.assertEqual(describe_group(self.broker, "never-existed")["state"], "Dead")
        self.cg("--delete", "--group", "never-existed", ok=False)


def read_all(broker, topic, start=None):
    """Every record of partition 0 as sorted (offset, key, value), via confluent-kafka."""
    from tern_fixture import consume_all
    recs = consume_all(broker, topic, 1, timeout=30, start_offset=start)
    return sorted((o, k, v) for _, o, k, v in recs)


# ---------------------------------------------------------------------- restart tests
class GroupRestartTest(BrokerTestCase):
    def test_committed_offsets_survive_consumer_crash_and_broker_kill(self):
        broker = self.start_broker(overrides=BROKER_OVERRIDES)
        topic, group, n_parts = "resume", "g-resume", 3
        create_topic(broker, topic, n_parts)
        seq = collections.Counter()
        records = []
        for i in range(3000):
            k = f"key-{(i * 31) % 40}"
            records.append((k, f"{k}|{seq[k]}"))
            seq[k] += 1
        produced = produce(broker.bootstrap, topic, records)
        highs = {p: watermarks(broker, topic, p)[1] for p in range(n_parts)}
        self.assertEqual(sum(highs.values()), 3000)

        def run_child(name, limit):
            c = ChildConsumer(broker, group, topic, name, limit=limit)
            self.addCleanup(c.cleanup)
            done = c.wait_done(45)
            return c, [tuple(r) for r in done["records"]], \
                {int(p): o for p, o in done["committed"].items()}

        # First consumer: 1000 records with synchronous commits, then SIGKILL.
        c1, recs1, committed1 = run_child("resume-1", 1000)
        c1.kill()
        self.assertEqual(len(recs1), 1000)
        self.assertEqual(fetch_committed(broker, group, {topic: range(n_parts)}),
                         {(topic, p): committed1.get(p, -1) for p in range(n_parts)})

        # Second consumer starts exactly at the committed offsets (after the dead member's
        # session expires), reads 1000 more, commits, and is alive when the broker dies.
        c2, recs2, committed2 = run_child("resume-2", 1000)
        by_part = collections.defaultdict(list)
        for p, o, _, _ in recs2:
            by_part[p].append(o)
        for p, offsets in by_part.items():
            self.assertEqual(offsets[0], committed1.get(p, 0),
                             f"partition {p}: restart did not resume at the committed offset")
            self.assertEqual(offsets, list(range(offsets[0], offsets[0] + len(offsets))))
        self.assertEqual(fetch_committed(broker, group, {topic: range(n_parts)}),
                         {(topic, p): committed2.get(p, committed1.get(p, -1))
                          for p in range(n_parts)})
        expected_committed = {(topic, p): committed2.get(p, committed1.get(p, -1))
                              for p in range(n_parts)}

        broker.kill()
        c2.kill()
        broker.start()
        self.assertEqual(fetch_committed(broker, group, {topic: range(n_parts)}),
                         expected_committed, "committed offsets lost by kill -9")
        with kw.Conn(broker.port) as c:
            self.assertIn(group, kw.list_groups_v0(c)[1])

        m = Member(broker, group, topic, "resume-3")
        self.addCleanup(m.close)
        remaining = 3000 - len(recs1) - len(recs2)
        poll_until([m], lambda: len(m.records) >= remaining, 45,
                   f"the remaining {remaining} records after the broker restart")
        m.poll(0.5)
        self.assertEqual(m.commit_errors, [])
        recs3 = [(p, o, k.decode(), v.decode()) for p, o, k, v in m.records]
        firsts = {}
        for p, o, _, _ in recs3:
            firsts.setdefault(p, o)
        for p, o in firsts.items():
            self.assertEqual(o, max(expected_committed[(topic, p)], 0),
                             f"partition {p}: did not resume at the committed offset")
        # All three consumers together read every record exactly once, in order per key.
        everything = recs1 + recs2 + recs3
        self.assertEqual(sorted((p, o) for p, o, _, _ in everything),
                         sorted((p, o) for p, o, _, _ in produced))
        per_key = collections.defaultdict(list)
        for p, o, k, v in sorted(everything):
            per_key[k].append(int(v.split("|")[1]))
        for k, seqs in per_key.items():
            self.assertEqual(seqs, list(range(seq[k])), f"key {k}")
        m.close()
        self.assertEqual(fetch_committed(broker, group, {topic: range(n_parts)}),
                         {(topic, p): highs[p] for p in range(n_parts)})

    def test_groups_and_offsets_survive_clean_restart(self):
        # Small __consumer_offsets segments and a fast cleaner: the log is compacted before
        # the restart reads it back.
        broker = self.start_broker(overrides={**BROKER_OVERRIDES,
                                              "offsets.topic.num.partitions": "3",
                                              "offsets.topic.segment.bytes": "2048"})
        topic = "survive"
        create_topic(broker, topic, 2)
        produce(broker.bootstrap, topic, [(f"k{i}", f"v{i}") for i in range(20)])
        highs = {p: watermarks(broker, topic, p)[1] for p in range(2)}

        # A subscribed consumer that read everything and left (Empty group with offsets).
        m = Member(broker, "g-consumer", topic, "survive-1")
        self.addCleanup(m.close)
        poll_until([m], lambda: len(m.records) >= 20, 30, "20 records")
        m.close()
        # Manual commits, many times over (compaction keeps the last).
        with kw.Conn(broker.port) as c:
            for i in range(150):
                self.assertEqual(kw.offset_commit_v7(c, "g-manual", -1, "", {
                    (topic, 0): (i, f"meta-{i}"), (topic, 1): 1000 + i}),
                    {(topic, 0): NONE, (topic, 1): NONE})
            self.assertEqual(kw.offset_commit_v7(c, "g-deleted", -1, "", {(topic, 0): 1}),
                             {(topic, 0): NONE})
        r = tern("consumer-groups", "--bootstrap-server", broker.bootstrap, "--delete",
                 "--group", "g-deleted")
        self.assertEqual(r.returncode, 0, show(r))
        # A member still in its group at shutdown.
        active = kw.Conn(broker.port)
        self.addCleanup(active.close)
        sub = [("range", kw.consumer_subscription([topic]))]
        mid = kw.join_group(active, 5, group_id="g-active", protocols=sub,
                            session_timeout_ms=2000)["member_id"]
        j = kw.join_group(active, 5, group_id="g-active", member_id=mid, protocols=sub,
                          session_timeout_ms=2000)
        self.assertEqual(j["error"], NONE)
        self.assertEqual(kw.sync_group_v3(active, "g-active", j["generation"], mid,
                                          {mid: kw.consumer_assignment({topic: [0, 1]})})[0],
                         NONE)
        self.assertEqual(kw.offset_commit_v7(active, "g-active", j["generation"], mid,
                                             {(topic, 0): 2, (topic, 1): 3}),
                         {(topic, 0): NONE, (topic, 1): NONE})
        time.sleep(1.5)  # a few cleaner passes over __consumer_offsets

        expected = {
            "g-consumer": {(topic, p): highs[p] for p in range(2)},
            "g-manual": {(topic, 0): 149, (topic, 1): 1149},
            "g-active": {(topic, 0): 2, (topic, 1): 3},
            "g-deleted": {(topic, 0): -1, (topic, 1): -1},
        }

        def check(phase):
            with kw.Conn(broker.port) as c:
                err, groups = kw.list_groups_v0(c)
                self.assertEqual(err, NONE)
                for g in ("g-consumer", "g-manual", "g-active"):
                    self.assertIn(g, groups, f"{phase}: group {g} not listed")
                self.assertNotIn("g-deleted", groups, f"{phase}: deleted group is back")
                self.assertEqual((groups["g-consumer"], groups["g-active"]),
                                 ("consumer", "consumer"))
                for g, offsets in expected.items():
                    self.assertEqual(kw.committed_offsets(c, g, {topic: [0, 1]}), offsets,
                                     f"{phase}: offsets of {g}")
                err, parts = kw.offset_fetch_v5(c, "g-manual", {topic: [0]})
                self.assertEqual(parts[(topic, 0)][2], "meta-149", f"{phase}: metadata")
                self.assertEqual(kw.describe_groups_v0(c, ["g-consumer"])[0]["state"], "Empty")

        check("before restart")
        active.close()
        broker.stop()
        broker.start()
        check("after restart")
        # The member that was in g-active comes back with a fresh session and, silent,
        # is removed when it expires; the offsets stay.
        with kw.Conn(broker.port) as c:
            wait_for(lambda: kw.describe_groups_v0(c, ["g-active"])[0]["state"] == "Empty", 15,
                     "g-active's restored member to expire")
            self.assertEqual(kw.committed_offsets(c, "g-active", {topic: [0, 1]}),
                             expected["g-active"])

        # A consumer in g-consumer resumes where the group left off.
        produce(broker.bootstrap, topic, [(f"new{i}", f"new{i}") for i in range(6)])
        m = Member(broker, "g-consumer", topic, "survive-2")
        self.addCleanup(m.close)
        poll_until([m], lambda: len(m.records) >= 6, 30, "6 new records")
        m.poll(0.5)
        self.assertEqual(sorted(v for *_, v in m.records), sorted(f"new{i}".encode()
                                                                   for i in range(6)))
        m.close()
        expected["g-consumer"] = {(topic, p): watermarks(broker, topic, p)[1] for p in range(2)}
        broker.stop()
        broker.start()
        check("after second restart")


if __name__ == "__main__":
    unittest.main()
