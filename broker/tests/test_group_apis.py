"""Group admin APIs over raw sockets, beyond what test_groups.py covers.

* OffsetFetch v8 (flexible, several groups in one request, null topic lists) and v1 (old).
* FindCoordinator v0, v1 and v4 (batched keys); transaction coordinators are not supported.
* OffsetDelete v0: empty groups, unknown groups, groups whose consumers subscribe to the topic
  (GROUP_SUBSCRIBED_TO_TOPIC) and non-consumer groups with members (NON_EMPTY_GROUP).
* ListGroups v4 with a states filter, and the group_state it reports.
* DeleteGroups v2: empty, non-empty and unknown groups.
* Offset expiry (slow, ~65 s): offsets.retention.minutes=1 removes an empty group's offsets
  and the group itself; a group with an active member keeps them.

Offsets are committed as "simple" commits (generation -1, empty member id) to groups without
members, or by raw-socket members that joined and synced (RawMember).
"""

import time
import unittest

import kafka_wire as kw
from tern_fixture import READY_RE, BrokerTestCase, SharedBrokerTestCase, create_topic

BROKER_OVERRIDES = {
    "auto.create.topics.enable": "false",
    "group.initial.rebalance.delay.ms": "500",
    "group.min.session.timeout.ms": "1000",
}

# Error codes
NONE, REBALANCE_IN_PROGRESS, MEMBER_ID_REQUIRED = 0, 27, 79
NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND, GROUP_SUBSCRIBED_TO_TOPIC = 68, 69, 86


# ---------------------------------------------------------------------- helpers
def simple_commit(conn, group, offsets):
    """OffsetCommit v7 without membership (generation -1, empty member id); all must succeed."""
    errors = kw.offset_commit_v7(conn, group, -1, "", offsets)
    assert errors == {k: NONE for k in offsets}, f"simple commit to {group}: {errors}"


def fetch_v8(conn, group, partitions=None):
    """OffsetFetch v8 for one group -> (group error, {(topic, p): offset}); fails on partition
    errors."""
    ((gid, err, parts),) = kw.offset_fetch_v8(conn, [(group, partitions)])
    assert gid == group, (gid, group)
    bad = {k: v for k, v in parts.items() if v[3] != NONE}
    assert not bad, f"OffsetFetch v8({group}) partition errors {bad}"
    return err, {k: v[0] for k, v in parts.items()}


def advertised(broker):
    """(host, port) from the broker's ready line (what FindCoordinator should answer)."""
    m = READY_RE.search(broker.log())
    assert m and m.group("adv"), f"no advertised address in the ready line:\n{broker.log()}"
    host, port = m.group("adv").rsplit(":", 1)
    return host, int(port)


class RawMember:
    """One member that joins (JoinGroup v5, MEMBER_ID_REQUIRED round trip), syncs (SyncGroup
    v3, assigning itself `assignment`) and so keeps its group Stable until it leaves or stops
    heartbeating for session_ms."""

    def __init__(self, port, group, assignment, session_ms=30000, protocol_type="consumer",
                 protocols=None):
        self.group = group
        self.conn = kw.Conn(port)
        if protocols is None:
            protocols = [("range", kw.consumer_subscription(sorted(assignment)))]
        args = dict(group_id=group, protocols=protocols, protocol_type=protocol_type,
                    session_timeout_ms=session_ms, rebalance_timeout_ms=10000)
        j = kw.join_group(self.conn, 5, **args)
        assert j["error"] == MEMBER_ID_REQUIRED, j
        self.member_id = j["member_id"]
        j = kw.join_group(self.conn, 5, member_id=self.member_id, **args)
        assert j["error"] == NONE and j["leader"] == self.member_id, j
        self.generation = j["generation"]
        data = (kw.consumer_assignment(assignment) if protocol_type == "consumer"
                else b"assignment")
        err, _ = kw.sync_group_v3(self.conn, group, self.generation, self.member_id,
                                  {self.member_id: data})
        assert err == NONE, f"SyncGroup({group}) error {err}"
        self.left = False

    def heartbeat(self):
        return kw.heartbeat_v3(self.conn, self.group, self.generation, self.member_id)

    def commit(self, offsets):
        errors = kw.offset_commit_v7(self.conn, self.group, self.generation, self.member_id,
                                     offsets)
        assert errors == {k: NONE for k in offsets}, f"member commit to {self.group}: {errors}"

    def leave(self):
        if not self.left:
            self.left = True
            err, members = kw.leave_group_v3(self.conn, self.group, [(self.member_id, None)])
            assert err == NONE and [m[2] for m in members] == [NONE], (err, members)

    def close(self):
        try:
            if not self.left:
                self.leave()
        finally:
            self.conn.close()


# ---------------------------------------------------------------------- shared-broker tests
class GroupApisTest(SharedBrokerTestCase):
    SHARED_OVERRIDES = BROKER_OVERRIDES
    SHARED_NAME = "group-apis"

    def setUp(self):
        super().setUp()
        self.conn = kw.Conn(self.broker.port)
        self.addCleanup(self.conn.close)

    def raw_member(self, group, assignment, **kw_):
        m = RawMember(self.broker.port, group, assignment, **kw_)
        self.addCleanup(m.close)
        return m

    # ------------------------------------------------------------------ 1. OffsetFetch v8
    def test_offset_fetch_v8_several_groups(self):
        a, b = "of8-a", "of8-b"
        create_topic(self.broker, a, 3)
        create_topic(self.broker, b, 1)
        c = self.conn
        simple_commit(c, "of8-g1", {(a, 0): (10, "m-a0"), (a, 1): 11, (b, 0): 5})
        simple_commit(c, "of8-g2", {(a, 0): 20, (a, 2): (22, "m-a2")})

        res = kw.offset_fetch_v8(c, [("of8-g1", {a: [0, 1, 2], b: [0]}),
                                     ("of8-g2", {a: [0, 1, 2]}),
                                     ("of8-unknown", {a: [0, 1]})])
        self.assertEqual([(g, e) for g, e, _ in res],
                         [("of8-g1", NONE), ("of8-g2", NONE), ("of8-unknown", NONE)], res)
        by_group = {g: parts for g, _, parts in res}
        self.assertEqual({k: (v[0], v[3]) for k, v in by_group["of8-g1"].items()},
                         {(a, 0): (10, NONE), (a, 1): (11, NONE), (a, 2): (-1, NONE),
                          (b, 0): (5, NONE)})
        self.assertEqual({k: (v[0], v[3]) for k, v in by_group["of8-g2"].items()},
                         {(a, 0): (20, NONE), (a, 1): (-1, NONE), (a, 2): (22, NONE)})
        self.assertEqual({k: (v[0], v[3]) for k, v in by_group["of8-unknown"].items()},
                         {(a, 0): (-1, NONE), (a, 1): (-1, NONE)})
        self.assertEqual(by_group["of8-g1"][(a, 0)][2], "m-a0")
        self.assertEqual(by_group["of8-g2"][(a, 2)][2], "m-a2")
        self.assertEqual(by_group["of8-g1"][(a, 0)][1], -1, "leader epoch committed as -1")

        # A null topic list: every committed partition of that group (and none of the
        # uncommitted ones); an unknown group has none. Null and explicit lists mix.
        res = kw.offset_fetch_v8(c, [("of8-g1", None), ("of8-g2", None), ("of8-unknown", None),
                                     ("of8-g2", {b: [0]})])
        self.assertEqual([(g, e) for g, e, _ in res],
                         [("of8-g1", NONE), ("of8-g2", NONE), ("of8-unknown", NONE),
                          ("of8-g2", NONE)], res)
        self.assertEqual({k: (v[0], v[3]) for k, v in res[0][2].items()},
                         {(a, 0): (10, NONE), (a, 1): (11, NONE), (b, 0): (5, NONE)})
        self.assertEqual({k: (v[0], v[3]) for k, v in res[1][2].items()},
                         {(a, 0): (20, NONE), (a, 2): (22, NONE)})
        self.assertEqual(res[2][2], {})
        self.assertEqual({k: v[0] for k, v in res[3][2].items()}, {(b, 0): -1})

        # v8 and v5 agree.
        self.assertEqual(kw.committed_offsets(c, "of8-g1", {a: [0, 1, 2], b: [0]}),
                         {(a, 0): 10, (a, 1): 11, (a, 2): -1, (b, 0): 5})

    # ------------------------------------------------------------------ 2. v1 / FindCoordinator
    def test_offset_fetch_v1_and_find_coordinator(self):
        t = "of1-t"
        create_topic(self.broker, t, 2)
        c = self.conn
        simple_commit(c, "of1-g", {(t, 0): (42, "meta-42")})
        self.assertEqual(kw.offset_fetch_v1(c, "of1-g", {t: [0, 1]}),
                         {(t, 0): (42, "meta-42", NONE), (t, 1): (-1, "", NONE)})
        self.assertEqual(kw.offset_fetch_v1(c, "of1-unknown", {t: [0]}),
                         {(t, 0): (-1, "", NONE)})

        host, port = advertised(self.broker)
        keys = ["fc-group-a", "fc-group-b", "of1-g"]
        coords = kw.find_coordinator_v4(c, keys)
        self.assertEqual(sorted(x["key"] for x in coords), sorted(keys), coords)
        for x in coords:
            self.assertEqual((x["error"], x["node_id"], x["host"], x["port"]),
                             (NONE, 0, host, port), x)

        self.assertEqual(kw.find_coordinator_v0(c, "fc-group-a"),
                         {"error": NONE, "node_id": 0, "host": host, "port": port})
        r = kw.find_coordinator_v1(c, "fc-group-a", key_type=0)
        self.assertEqual((r["error"], r["node_id"], r["host"], r["port"]),
                         (NONE, 0, host, port), r)

        # key_type 1 = transaction coordinator: transactions are not supported.
        r = kw.find_coordinator_v1(c, "txn-1", key_type=1)
        self.assertNotEqual(r["error"], NONE, f"transaction coordinator found: {r}")
        self.assertEqual(r["node_id"], -1, r)
        coords = kw.find_coordinator_v4(c, ["txn-1", "txn-2"], key_type=1)
        self.assertEqual(sorted(x["key"] for x in coords), ["txn-1", "txn-2"], coords)
        for x in coords:
            self.assertNotEqual(x["error"], NONE, f"transaction coordinator found: {x}")
            self.assertEqual(x["node_id"], -1, x)
        print(f"\n  FindCoordinator key_type=1 -> error {r['error']} ({r['error_message']!r})",
              end=" ")

    # ------------------------------------------------------------------ 3. OffsetDelete
    def test_offset_delete(self):
        t, other = "od-t", "od-other"
        create_topic(self.broker, t, 3)
        create_topic(self.broker, other, 1)
        c = self.conn

        # An empty group: the named partitions go, the others stay.
        simple_commit(c, "od-empty", {(t, 0): 1, (t, 1): 2, (t, 2): 3, (other, 0): 4})
        err, parts = kw.offset_delete_v0(c, "od-empty", {t: [0, 1]})
        self.assertEqual((err, parts), (NONE, {(t, 0): NONE, (t, 1): NONE}))
        self.assertEqual(fetch_v8(c, "od-empty", {t: [0, 1, 2], other: [0]}),
                         (NONE, {(t, 0): -1, (t, 1): -1, (t, 2): 3, (other, 0): 4}))
        self.assertEqual(fetch_v8(c, "od-empty"), (NONE, {(t, 2): 3, (other, 0): 4}))
        # Deleting again (nothing committed there) is not an error.
        self.assertEqual(kw.offset_delete_v0(c, "od-empty", {t: [0]}), (NONE, {(t, 0): NONE}))

        # An unknown group.
        err, _ = kw.offset_delete_v0(c, "od-unknown", {t: [0]})
        self.assertEqual(err, GROUP_ID_NOT_FOUND)

        # A group whose active consumer subscribes to `t`: its partitions are refused one by
        # one, the offsets of a topic it does not subscribe to are deleted.
        simple_commit(c, "od-active", {(t, 0): 0, (t, 1): 0, (t, 2): 0, (other, 0): 7})
        from confluent_kafka import Consumer
        consumer = Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": "od-active",
                             "enable.auto.commit": False, "auto.offset.reset": "earliest",
                             "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
        self.addCleanup(consumer.close)
        consumer.subscribe([t])
        deadline = time.monotonic() + 30
        while not consumer.assignment():
            self.assertLess(time.monotonic(), deadline, "consumer got no assignment in 30s")
            consumer.poll(0.1)
        consumer.poll(0.2)
        (g,) = kw.describe_groups_v0(c, ["od-active"])
        self.assertEqual((g["state"], len(g["members"])), ("Stable", 1), g)
        err, parts = kw.offset_delete_v0(c, "od-active", {t: [0, 1], other: [0]})
        self.assertEqual((err, parts), (NONE, {(t, 0): GROUP_SUBSCRIBED_TO_TOPIC,
                                               (t, 1): GROUP_SUBSCRIBED_TO_TOPIC,
                                               (other, 0): NONE}))
        consumer.poll(0.1)
        self.assertEqual(fetch_v8(c, "od-active", {t: [0, 1, 2], other: [0]}),
                         (NONE, {(t, 0): 0, (t, 1): 0, (t, 2): 0, (other, 0): -1}))

        # A non-consumer group with a member: NON_EMPTY_GROUP (its subscriptions are opaque).
        simple_commit(c, "od-connect", {(t, 0): 9})
        self.raw_member("od-connect", {t: [0]}, protocol_type="connect",
                        protocols=[("default", b"opaque")])
        err, _ = kw.offset_delete_v0(c, "od-connect", {t: [0]})
        self.assertEqual(err, NON_EMPTY_GROUP)
        self.assertEqual(fetch_v8(c, "od-connect", {t: [0]}), (NONE, {(t, 0): 9}))

    # ------------------------------------------------------------------ 4. ListGroups v4
    def test_list_groups_v4_states_filter(self):
        t = "lg-t"
        create_topic(self.broker, t, 2)
        c = self.conn
        simple_commit(c, "lg-empty", {(t, 0): 1})
        member = self.raw_member("lg-stable", {t: [0, 1]})

        err, stable = kw.list_groups_v4(c, ["Stable"])
        self.assertEqual(err, NONE)
        self.assertEqual(stable.get("lg-stable"), ("consumer", "Stable"), stable)
        self.assertNotIn("lg-empty", stable)
        self.assertEqual({s for _, s in stable.values()}, {"Stable"}, stable)

        err, empty = kw.list_groups_v4(c, ["Empty"])
        self.assertEqual(err, NONE)
        self.assertEqual(empty.get("lg-empty"), ("", "Empty"), empty)
        self.assertNotIn("lg-stable", empty)
        self.assertEqual({s for _, s in empty.values()}, {"Empty"}, empty)

        # No filter: every group, each with its state; several states: their union.
        err, every = kw.list_groups_v4(c, [])
        self.assertEqual(err, NONE)
        self.assertEqual((every.get("lg-stable"), every.get("lg-empty")),
                         (("consumer", "Stable"), ("", "Empty")), every)
        err, both = kw.list_groups_v4(c, ["Empty", "Stable"])
        self.assertEqual(both, {g: v for g, v in every.items() if v[1] in ("Empty", "Stable")})
        self.assertEqual(kw.list_groups_v4(c, ["PreparingRebalance"])[1].get("lg-stable"), None)
        self.assertEqual(set(kw.list_groups_v0(c)[1]), set(every))

        # Once its member leaves, the group moves from Stable to Empty.
        member.leave()
        self.assertNotIn("lg-stable", kw.list_groups_v4(c, ["Stable"])[1])
        self.assertEqual(kw.list_groups_v4(c, ["Empty"])[1].get("lg-stable"),
                         ("consumer", "Empty"))

    # ------------------------------------------------------------------ 5. DeleteGroups v2
    def test_delete_groups_v2(self):
        t = "dg-t"
        create_topic(self.broker, t, 2)
        c = self.conn
        simple_commit(c, "dg-empty", {(t, 0): 3, (t, 1): 4})
        member = self.raw_member("dg-active", {t: [0, 1]})
        member.commit({(t, 0): 5})

        self.assertEqual(kw.delete_groups_v2(c, ["dg-empty", "dg-active", "dg-unknown"]),
                         {"dg-empty": NONE, "dg-active": NON_EMPTY_GROUP,
                          "dg-unknown": GROUP_ID_NOT_FOUND})
        self.assertEqual(fetch_v8(c, "dg-empty", {t: [0, 1]}), (NONE, {(t, 0): -1, (t, 1): -1}))
        self.assertEqual(fetch_v8(c, "dg-empty"), (NONE, {}))
        groups = kw.list_groups_v0(c)[1]
        self.assertNotIn("dg-empty", groups)
        self.assertIn("dg-active", groups)
        self.assertNotIn("dg-empty", kw.list_groups_v4(c, [])[1])
        self.assertEqual(kw.describe_groups_v0(c, ["dg-empty"])[0]["state"], "Dead")
        self.assertEqual(fetch_v8(c, "dg-active", {t: [0, 1]}), (NONE, {(t, 0): 5, (t, 1): -1}))
        self.assertEqual(member.heartbeat(), NONE, "the refused delete disturbed the member")

        # Deleted once: gone. The active group can be deleted once its member leaves.
        self.assertEqual(kw.delete_groups_v2(c, ["dg-empty"]), {"dg-empty": GROUP_ID_NOT_FOUND})
        member.leave()
        self.assertEqual(kw.delete_groups_v2(c, ["dg-active"]), {"dg-active": NONE})
        self.assertEqual(fetch_v8(c, "dg-active"), (NONE, {}))
        self.assertNotIn("dg-active", kw.list_groups_v0(c)[1])


# ---------------------------------------------------------------------- slow: offset expiry
class OffsetExpirySlowTest(BrokerTestCase):
    """SLOW (~65 s): waits for offsets.retention.minutes=1 to pass."""

    RETENTION_S = 60

    def test_empty_group_offsets_expire_active_group_keeps_them(self):
        broker = self.start_broker(overrides={**BROKER_OVERRIDES,
                                              "offsets.retention.minutes": "1",
                                              "offsets.retention.check.interval.ms": "1000"})
        t = "exp-t"
        create_topic(broker, t, 2)
        c = kw.Conn(broker.port)
        self.addCleanup(c.close)
        member = RawMember(broker.port, "exp-active", {t: [0, 1]}, session_ms=10000)
        self.addCleanup(member.close)
        member.commit({(t, 0): 5, (t, 1): 6})
        t0 = time.monotonic()
        simple_commit(c, "exp-empty", {(t, 0): 1, (t, 1): 2})
        self.assertEqual(fetch_v8(c, "exp-empty"), (NONE, {(t, 0): 1, (t, 1): 2}))
        self.assertIn("exp-empty", kw.list_groups_v0(c)[1])

        deadline = t0 + self.RETENTION_S + 15
        last = None
        while True:
            # The member heartbeats every second (session 10 s) and stays in its group.
            self.assertEqual(member.heartbeat(), NONE,
                             f"active member lost its membership after "
                             f"{time.monotonic() - t0:.1f}s")
            _, offsets = fetch_v8(c, "exp-empty", {t: [0, 1]})
            listed = "exp-empty" in kw.list_groups_v0(c)[1]
            last = (offsets, listed)
            if offsets == {(t, 0): -1, (t, 1): -1} and not listed:
                break
            self.assertLess(time.monotonic(), deadline,
                            f"exp-empty's offsets not expired {self.RETENTION_S + 15}s after "
                            f"the commit (offsets.retention.minutes=1); last (offsets, listed) "
                            f"= {last}")
            time.sleep(1.0)
        elapsed = time.monotonic() - t0
        print(f"\n  empty group's offsets expired {elapsed:.1f}s after its commit", end=" ")
        self.assertGreater(elapsed, self.RETENTION_S - 5,
                           "offsets expired well before offsets.retention.minutes=1")
        self.assertEqual(fetch_v8(c, "exp-empty"), (NONE, {}))

        # The group with an active member (subscribed to the topic) kept everything.
        self.assertEqual(fetch_v8(c, "exp-active", {t: [0, 1]}), (NONE, {(t, 0): 5, (t, 1): 6}))
        self.assertEqual(kw.list_groups_v4(c, ["Stable"])[1].get("exp-active"),
                         ("consumer", "Stable"))
        self.assertEqual(member.heartbeat(), NONE)


if __name__ == "__main__":
    unittest.main()
