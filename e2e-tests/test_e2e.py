"""The whole system on one machine (issue 7): the Kubernetes API double, tern-operator, the
process kubelet running etcd and tern-broker pods as local processes, real clients and a real
Prometheus. One scenario: install the samples, produce and consume, then day-2 operations
under continuous acks=all traffic with a consumer group, and finally no acknowledged record
lost. The test writes e2e-tests/last-run.md (each step, its timing and its findings)."""

import datetime
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e_env import (BOOTSTRAP, CLIENT_LOG, CLUSTER, HERE, NS, SAMPLES, AckedProducer,  # noqa: E402
                     KUBELET_BACKOFF, ClusterSampler, Environment, GroupConsumer, cluster_path, core_path, is_ready,
                     pid_alive, read_whole_topic, sts_path, topic_path, wait_for)

REPORT = os.path.join(HERE, "last-run.md")
TRAFFIC_TOPIC = "e2e-traffic"
TRAFFIC_PARTITIONS = 6
TRAFFIC_RATE = 200  # records per second
TRAFFIC_TOPIC_YAML = f"""apiVersion: tern.dev/v1alpha1
kind: Topic
metadata:
  name: {TRAFFIC_TOPIC}
  namespace: {NS}
spec:
  clusterRef:
    name: {CLUSTER}
  partitions: {TRAFFIC_PARTITIONS}
  replicationFactor: 3
  config:
    min.insync.replicas: "2"
"""

STEPS = [
    "start the API double, process kubelet, operator",
    "install manifests/samples",
    "produce and consume (kcat, confluent-kafka, tern)",
    "Prometheus scrapes brokers and operator",
    "start traffic (acks=all producer, consumer group)",
    "rolling restart after a broker config change",
    "scale 3 -> 5",
    "scale 5 -> 3",
    "kill -9 a broker process",
    "delete a Topic",
    "stop traffic: every acknowledged record consumed",
    "delete the Cluster",
]


class Report:
    def __init__(self):
        self.steps = {name: {"status": "not run", "seconds": None, "notes": []} for name in STEPS}
        self.facts = {}
        self.started = time.time()
        self.failure = None

    def step(self, name):
        report = self

        class _Step:
            def __enter__(self):
                self.t0 = time.monotonic()
                report.steps[name]["status"] = "running"
                print(f"\n=== {name}", flush=True)
                return self

            def note(self, text):
                report.steps[name]["notes"].append(text)
                print(f"    {text}", flush=True)

            def __exit__(self, typ, exc, tb):
                s = report.steps[name]
                s["seconds"] = time.monotonic() - self.t0
                if typ is None:
                    s["status"] = "passed"
                else:
                    s["status"] = "FAILED"
                    s["notes"].append(f"failure: {str(exc)[:2000]}")
                    report.failure = name
                return False
        return _Step()

    def render(self):
        when = datetime.datetime.fromtimestamp(self.started).strftime("%Y-%m-%d %H:%M:%S")
        total = time.time() - self.started
        lines = [
            "# Local end-to-end run (e2e-tests/test_e2e.py)", "",
            f"Run at {when} on {platform.node()} ({os.cpu_count()} CPUs), "
            f"{total:.0f} s in all. Result: "
            f"**{'passed' if self.failure is None and all(s['status'] == 'passed' for s in self.steps.values()) else 'FAILED at: ' + str(self.failure)}**.",
            "",
            "Kubernetes API: tern-kube-double; pods: e2e-tests/process_kubelet.py (probe periods "
            f"x0.2, restart back-off from {KUBELET_BACKOFF} s, grace capped at 10 s); brokers and etcd as the "
            "operator's pod templates say; clients resolve the Service names through /etc/hosts.",
            "", "| step | result | seconds |", "|---|---|---|"]
        for name, s in self.steps.items():
            secs = "" if s["seconds"] is None else f"{s['seconds']:.1f}"
            lines.append(f"| {name} | {s['status']} | {secs} |")
        lines += ["", "## Figures", ""]
        for k, v in self.facts.items():
            lines.append(f"- {k}: {v}")
        lines += ["", "## Steps", ""]
        for name, s in self.steps.items():
            lines.append(f"### {name} — {s['status']}")
            lines.append("")
            for n in s["notes"] or ["(nothing recorded)"]:
                lines.append(f"- {n}")
            lines.append("")
        return "\n".join(lines)


def broker_down_intervals(timeline, pods, t0, t1):
    """From the kubelet's timeline: the most broker pods not ready at the same time within
    [t0, t1], and each pod's down intervals. A pod is down from killing/exited/not_ready/created
    until its next ready."""
    down, since, intervals, worst = {}, {}, {p: [] for p in pods}, 0
    for e in sorted(timeline, key=lambda e: e["t"]):
        if e["pod"] not in pods or e["t"] < t0 or e["t"] > t1:
            continue
        p = e["pod"]
        if e["event"] in ("killing", "exited", "not_ready", "created"):
            if not down.get(p):
                down[p], since[p] = True, e["t"]
        elif e["event"] == "ready" and down.get(p):
            down[p] = False
            intervals[p].append((since[p], e["t"]))
        worst = max(worst, sum(1 for v in down.values() if v))
    for p, d in down.items():
        if d:
            intervals[p].append((since[p], None))
    return worst, intervals


def wait_cluster(env, pred, timeout, what, step):
    """Waits for pred(cluster) like wait_for, noting each new Ready reason/message on the way
    (with its time from the start), so the report shows what the operator said it waited for."""
    t0 = time.monotonic()
    seen = []

    def check():
        c = env.cluster()
        cond = next((x for x in (c or {}).get("status", {}).get("conditions") or []
                     if x["type"] == "Ready"), None)
        if cond is not None:
            text = f"{cond['reason']}: {cond['message'][:160]}"
            if not seen or seen[-1][1] != text:
                seen.append((time.monotonic() - t0, text))
        return c if c is not None and pred(c) else None
    try:
        return wait_for(check, timeout, what)
    finally:
        step.note("Cluster Ready condition on the way: " +
                  " -> ".join(f"+{t:.1f}s {text}" for t, text in seen))


class EndToEndTest(unittest.TestCase):
    maxDiff = None

    def test_install_and_day2_under_traffic(self):
        env = Environment()  # skips (and writes no report) without root or binaries
        report = Report()
        producer = consumer = None
        try:
            with report.step(STEPS[0]) as s:
                env.start()
                s.note(f"API double {env.server}; operator metrics 127.0.0.1:{env.operator_port}; "
                       f"work folder {env.dir}")
            self.install(env, report)
            self.produce_consume(env, report)
            self.prometheus(env, report)
            with report.step(STEPS[4]) as s:
                producer = AckedProducer(BOOTSTRAP, TRAFFIC_TOPIC, TRAFFIC_PARTITIONS,
                                         TRAFFIC_RATE, name="e2e-",
                                         config={"client.id": "e2e-producer"},
                                         logger=CLIENT_LOG)
                consumer = GroupConsumer(BOOTSTRAP, TRAFFIC_TOPIC, "e2e-group")
                consumer.start()
                producer.start()
                wait_for(lambda: producer.acked_count() > 200 and consumer.seen_count() > 100,
                         60, "traffic flowing (acked and consumed)")
                s.note(f"{TRAFFIC_RATE} records/s to {TRAFFIC_TOPIC} ({TRAFFIC_PARTITIONS} "
                       f"partitions, RF 3, min.insync.replicas 2), acks=all idempotent; group "
                       f"e2e-group consuming")
            self.rolling_restart(env, report)
            self.scale_up(env, report)
            self.scale_down(env, report)
            self.kill_broker(env, report)
            self.delete_topic(env, report)
            self.check_no_loss(env, report, producer, consumer)
            producer = consumer = None
            self.delete_cluster(env, report)
        except BaseException:
            if report.failure is None:
                report.failure = "harness"
            report.facts["traceback"] = "\n\n```\n" + traceback.format_exc()[-3000:] + "```"
            self.dump_logs(env)
            raise
        finally:
            for t in (producer, consumer):
                if t is not None:
                    try:
                        t.finish() if t is consumer else t.finish(timeout=5)
                    except Exception:
                        pass
            errors = env.stop()
            if errors:
                report.facts["teardown"] = "; ".join(errors)
            if report.failure is None and not os.environ.get("TERN_E2E_KEEP"):
                env.cleanup_dir()
            else:
                report.facts["work folder kept"] = env.dir
            text = report.render()
            with open(REPORT, "w") as f:
                f.write(text + "\n")
            print("\n" + text, flush=True)
            self.assertEqual(errors, [], "teardown")

    # ------------------------------------------------------------------ steps
    def install(self, env, report):
        with report.step(STEPS[1]) as s:
            t0 = time.monotonic()
            out = env.kubectl("apply", "--validate=false", "-f", SAMPLES)
            s.note("kubectl apply -f manifests/samples: " + "; ".join(out.split("\n")[:-1]))
            with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
                f.write(TRAFFIC_TOPIC_YAML)
            env.kubectl("apply", "--validate=false", "-f", f.name)
            os.unlink(f.name)
            c = wait_for(lambda: (lambda c: c if is_ready(c) else None)(env.cluster()), 180,
                         "Cluster tern Ready")
            ready_s = time.monotonic() - t0
            report.facts["Cluster Ready after apply"] = f"{ready_s:.1f} s"
            s.note(f"Cluster Ready after {ready_s:.1f} s; status.bootstrapServers="
                   f"{c['status'].get('bootstrapServers')}; readyReplicas="
                   f"{c['status'].get('readyReplicas')}")
            self.assertEqual(c["status"].get("bootstrapServers"), BOOTSTRAP)
            self.assertEqual(c["status"].get("readyReplicas"), 3)
            for name in ("quickstart-events", TRAFFIC_TOPIC):
                t = wait_for(lambda n=name: (lambda t: t if is_ready(t) else None)(env.topic(n)),
                             120, f"Topic {name} Ready")
                s.note(f"Topic {name} Ready after {time.monotonic() - t0:.1f} s "
                       f"(topicId {t['status'].get('topicId')})")
            report.facts["Topics Ready after apply"] = f"{time.monotonic() - t0:.1f} s"
            pods = sorted(p["metadata"]["name"] for p in env.pods())
            self.assertEqual(pods, ["tern-0", "tern-1", "tern-2", "tern-etcd-0", "tern-etcd-1",
                                    "tern-etcd-2"])
            objects = {
                "ConfigMap": [x["metadata"]["name"] for x in env.api.items(core_path("configmaps", NS))],
                "Service": [x["metadata"]["name"] for x in env.api.items(core_path("services", NS))],
                "StatefulSet": [x["metadata"]["name"] for x in env.api.items(sts_path(NS))],
            }
            for kind, want in (("ConfigMap", "tern-config"), ("Service", "tern-brokers"),
                               ("Service", "tern-bootstrap"), ("Service", "tern-etcd-client"),
                               ("StatefulSet", "tern"), ("StatefulSet", "tern-etcd")):
                self.assertIn(want, objects[kind])
            s.note(f"pods: {', '.join(pods)}; objects: {objects}")

    def produce_consume(self, env, report):
        with report.step(STEPS[2]) as s:
            lines = [f"k{i}:kcat-{i}" for i in range(20)]
            r = subprocess.run(["kcat", "-b", BOOTSTRAP, "-P", "-t", "quickstart-events", "-K:",
                                "-X", "acks=all"], input="\n".join(lines) + "\n",
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            from confluent_kafka import Consumer, Producer
            p = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all"}, logger=CLIENT_LOG)
            delivered = []
            for i in range(20):
                p.produce("quickstart-events", key=f"c{i}", value=f"confluent-{i}",
                          on_delivery=lambda err, m: delivered.append(err))
            self.assertEqual(p.flush(60), 0)
            self.assertEqual(delivered, [None] * 20)
            # confluent-kafka reads the kcat records, kcat reads the confluent-kafka ones.
            c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "e2e-quickstart",
                          "auto.offset.reset": "earliest"}, logger=CLIENT_LOG)
            c.subscribe(["quickstart-events"])
            got = set()
            deadline = time.monotonic() + 60
            while len(got) < 40 and time.monotonic() < deadline:
                for m in c.consume(100, timeout=0.5):
                    if not m.error():
                        got.add(f"{m.key().decode()}:{m.value().decode()}")
            c.close()
            want = set(lines) | {f"c{i}:confluent-{i}" for i in range(20)}
            self.assertEqual(want - got, set(), "records not consumed by confluent-kafka")
            r = subprocess.run(["kcat", "-b", BOOTSTRAP, "-C", "-t", "quickstart-events", "-e",
                                "-o", "beginning", "-q", "-f", "%k:%s\n"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(want - set(r.stdout.split("\n")), set(), "records not read by kcat")
            s.note("20 records by kcat (acks=all) and 20 by confluent-kafka, each read back by "
                   "the other client through tern-bootstrap.default.svc:9092")
            r = subprocess.run([os.path.join(os.environ.get("TERN_BIN_DIR", os.path.join(
                HERE, "..", "build", "bin")), "tern"), "topics", "--describe", "--topic",
                "quickstart-events", "--bootstrap-server", BOOTSTRAP],
                capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("ReplicationFactor: 3", r.stdout)
            s.note("tern topics --describe: " + " | ".join(
                x.strip() for x in r.stdout.strip().split("\n")))

    def prometheus(self, env, report):
        with report.step(STEPS[3]) as s:
            env.start_prometheus(3)
            prom = env.prometheus
            up = wait_for(lambda: (lambda r: r if len(r) == 3 and all(v == 1 for _, v in r)
                                   else None)(prom.query('up{job="tern-broker"}')),
                          60, "up{job=tern-broker} == 1 for 3 brokers")
            s.note("up{job=\"tern-broker\"}: " + ", ".join(
                f"{m['instance']}={v:.0f}" for m, v in up))
            wait_for(lambda: prom.query('up{job="tern-operator"} == 1'), 30,
                     "up{job=tern-operator} == 1")
            rec = wait_for(lambda: prom.query('sum(tern_operator_reconcile_total)'), 30,
                           "tern_operator_reconcile_total")
            self.assertGreater(rec[0][1], 0)
            s.note(f"sum(tern_operator_reconcile_total) = {rec[0][1]:.0f}")
            brokers = wait_for(lambda: (lambda r: r if len(r) == 3 and all(v == 3 for _, v in r)
                                        else None)(prom.query('tern_brokers{job="tern-broker"}')),
                               30, "tern_brokers == 3 on every broker")
            s.note(f"tern_brokers = 3 on {len(brokers)} brokers")
            ctrl = wait_for(lambda: prom.query('sum(tern_active_controller{job="tern-broker"})'),
                            30, "tern_active_controller")
            self.assertEqual(ctrl[0][1], 1, "exactly one active controller")
            recs = wait_for(lambda: prom.query(
                'sum(tern_topic_records_in_total{topic="quickstart-events"})'), 30,
                "tern_topic_records_in_total for quickstart-events")
            s.note(f"sum(tern_active_controller) = 1; records in for quickstart-events "
                   f"(leader-side, all brokers) = {recs[0][1]:.0f}")
            groups = prom.rules()
            bad = [r["name"] for g in groups for r in g["rules"] if r.get("health") == "err"]
            s.note(f"{sum(len(g['rules']) for g in groups)} alert rules loaded from "
                   f"metrics/alerts/tern-rules.yml; rules with errors: {bad or 'none'}")

    def rolling_restart(self, env, report):
        with report.step(STEPS[5]) as s:
            before = {n: p["metadata"]["uid"] for n, p in env.broker_pods().items()}
            gen_before = env.cluster()["metadata"]["generation"]
            t0 = time.time()
            m0 = time.monotonic()
            sampler = ClusterSampler()
            sampler.start()
            env.merge_patch_cluster({"spec": {"config": {
                "log.retention.check.interval.ms": "120000"}}})
            c = env.cluster()
            gen = c["metadata"]["generation"]
            self.assertGreater(gen, gen_before)

            def rolled():
                sts = env.api.get(sts_path(NS, CLUSTER))
                want = sts["spec"]["template"]["metadata"]["annotations"]["tern.dev/config-hash"]
                pods = env.broker_pods()
                c = env.cluster()
                state = (f"pods {sorted(pods)}, replaced "
                         f"{[n for n, p in pods.items() if p['metadata']['uid'] != before.get(n)]}"
                         f", Cluster conditions {c['status'].get('conditions')}")
                if sorted(pods) != sorted(before):
                    raise ValueError(state)
                for n, p in pods.items():
                    if p["metadata"]["uid"] == before[n] or \
                            p["metadata"].get("annotations", {}).get("tern.dev/config-hash") != want:
                        raise ValueError(state)
                if not is_ready(c, gen):
                    raise ValueError(state)
                return c
            try:
                wait_for(rolled, 240, "every broker pod replaced with the new config, "
                                      "Cluster Ready")
            finally:
                s.note(sampler.finish())
            roll_s = time.monotonic() - m0
            report.facts["rolling restart (3 brokers)"] = f"{roll_s:.1f} s"
            worst, intervals = broker_down_intervals(env.timeline(), set(before), t0, time.time())
            kills = sorted((e["t"], e["pod"]) for e in env.timeline()
                           if e["event"] == "killing" and e["pod"] in before and e["t"] >= t0)
            s.note("under-replicated partitions (as /v1/cluster said) just before each pod "
                   "deletion: " + ", ".join(f"{p}: {sampler.under_replicated_before(t)}"
                                            for t, p in kills))
            for p in sorted(intervals):
                s.note(f"{p} not ready: " + ", ".join(
                    f"+{a - t0:.1f}s..+{b - t0:.1f}s ({b - a:.1f}s)" if b else f"+{a - t0:.1f}s.."
                    for a, b in intervals[p]))
            order = [e for e in env.events(CLUSTER) if e["reason"] == "RestartingBroker"]
            s.note("operator events: " + " / ".join(e["message"] for e in order[-3:]))
            s.note(f"rolled in {roll_s:.1f} s; most broker pods not ready at once: {worst}")
            self.assertEqual(worst, 1, "a rolling restart must take down one broker at a time")
            for p in before:
                self.assertEqual(len(intervals[p]), 1, f"{p} should have restarted exactly once")
            cfg = open(os.path.join(env.kubelet_state()["pods"][f"{NS}/tern-0"]["dir"],
                                    "volumes", "config", "broker.yaml")).read()
            self.assertIn("log.retention.check.interval.ms", cfg)
            self.check_broker_config(env, s, "log.retention.check.interval.ms", "120000")

    def check_broker_config(self, env, s, key, value):
        from confluent_kafka.admin import AdminClient, ConfigResource
        a = AdminClient({"bootstrap.servers": BOOTSTRAP, "logger": CLIENT_LOG})
        try:
            futs = a.describe_configs([ConfigResource("broker", "0")])
            cfg = list(futs.values())[0].result(timeout=20)
            got = cfg.get(key).value if key in cfg else None
            s.note(f"DescribeConfigs(broker 0) {key} = {got}")
            self.assertEqual(got, value, f"broker 0 runs with the new {key}")
        except Exception as e:
            if isinstance(e, AssertionError):
                raise
            s.note(f"DescribeConfigs(broker 0) not answered ({e}); the new broker.yaml was "
                   f"checked in the pod's ConfigMap volume instead")

    def scale_up(self, env, report):
        with report.step(STEPS[6]) as s:
            m0 = time.monotonic()
            t0 = time.time()
            env.merge_patch_cluster({"spec": {"replicas": 5}})
            gen = env.cluster()["metadata"]["generation"]
            c = wait_cluster(env, lambda c: is_ready(c, gen) and
                             c["status"].get("readyReplicas") == 5, 180,
                             "Cluster Ready with 5 brokers", s)
            pods_ready = {e["pod"]: e["t"] for e in env.timeline()
                          if e["event"] == "ready" and e["pod"] in ("tern-3", "tern-4")}
            s.note("new broker pods ready after: " + ", ".join(
                f"{p} {t - t0:.1f} s" for p, t in sorted(pods_ready.items())))
            up_s = time.monotonic() - m0
            report.facts["scale 3 -> 5 (Ready)"] = f"{up_s:.1f} s"
            self.assertEqual(sorted(env.broker_pods()), [f"tern-{i}" for i in range(5)])
            live = wait_for(lambda: (lambda d: d if len(d["brokers"]) == 5 else None)(
                env.admin("/v1/cluster")), 60, "5 live brokers in /v1/cluster")
            s.note(f"Ready with 5 brokers after {up_s:.1f} s; /v1/cluster lists brokers "
                   f"{[b['id'] for b in live['brokers']]}")
            env.prometheus.set_brokers(5)
            wait_for(lambda: (lambda r: r if len(r) == 5 and all(v == 1 for _, v in r) else None)(
                env.prometheus.query('up{job="tern-broker"}')), 60, "Prometheus scrapes 5 brokers")
            s.note("Prometheus scrapes 5 brokers (up == 1)")
            # Partition rebalancing onto new brokers is being added: check it when it happens,
            # report when it does not.
            deadline = time.monotonic() + 20
            moved = 0
            while time.monotonic() < deadline:
                moved = sum(env.admin(f"/v1/brokers/{i}")["replicas"] for i in (3, 4))
                cl = env.admin("/v1/cluster")
                if moved > 0 and cl["reassigning_partitions"] == 0:
                    break
                time.sleep(1)
            reasons = sorted({e["reason"] for e in env.events(CLUSTER)})
            start = datetime.datetime.fromtimestamp(t0, datetime.timezone.utc)
            moves = []
            for e in env.events(CLUSTER):
                if e["reason"] not in ("Rebalancing", "Rebalanced"):
                    continue
                at = datetime.datetime.strptime(e["firstTimestamp"], "%Y-%m-%dT%H:%M:%SZ")
                at = at.replace(tzinfo=datetime.timezone.utc)
                if at >= start.replace(microsecond=0):
                    moves.append(f"+{(at - start).total_seconds():.0f}s {e['message']}")
            if moves:
                s.note("operator rebalance events: " + " / ".join(moves))
            if moved > 0:
                s.note(f"rebalanced: brokers 3 and 4 hold {moved} replica(s)")
                report.facts["rebalance onto new brokers"] = f"yes ({moved} replicas moved)"
            else:
                s.note("NOT rebalanced: brokers 3 and 4 hold no replicas 20 s after Ready; "
                       f"operator event reasons so far: {reasons}")
                report.facts["rebalance onto new brokers"] = "not done (no replicas moved)"

    def scale_down(self, env, report):
        with report.step(STEPS[7]) as s:
            m0 = time.monotonic()
            t0 = time.time()
            held = {i: env.admin(f"/v1/brokers/{i}")["replicas"] for i in (3, 4)}
            sampler = ClusterSampler()
            sampler.start()
            env.merge_patch_cluster({"spec": {"replicas": 3}})
            gen = env.cluster()["metadata"]["generation"]
            wait_cluster(env, lambda c: is_ready(c, gen) and c["status"].get("replicas") == 3
                         and sorted(env.broker_pods()) == ["tern-0", "tern-1", "tern-2"], 240,
                         "Cluster Ready with 3 brokers, pods tern-3 and tern-4 gone", s)
            down_s = time.monotonic() - m0
            s.note(sampler.finish())
            report.facts["scale 5 -> 3 (Ready)"] = f"{down_s:.1f} s"
            wait_for(lambda: "default/tern-3" not in env.kubelet_state()["pods"] and
                     "default/tern-4" not in env.kubelet_state()["pods"], 60,
                     "processes of tern-3 and tern-4 stopped")
            pvcs = [x["metadata"]["name"] for x in
                    env.api.items(core_path("persistentvolumeclaims", NS))]
            self.assertNotIn("data-tern-3", pvcs)
            self.assertNotIn("data-tern-4", pvcs)
            evs = [e for e in env.events(CLUSTER) if e["reason"] in ("DrainingBroker",
                                                                     "ScalingDown")]
            s.note(f"replicas held before: broker 3: {held[3]}, broker 4: {held[4]}; events: " +
                   " / ".join(f"{e['reason']}: {e['message']}" for e in evs))
            if any(held.values()):
                reasons = [e["reason"] for e in evs]
                self.assertIn("DrainingBroker", reasons)
                self.assertLess(reasons.index("DrainingBroker"),
                                len(reasons) - 1 - reasons[::-1].index("ScalingDown"))
            metadata = self.wait_full_isr(env, {0, 1, 2}, 120)
            s.note(f"Ready with 3 brokers after {down_s:.1f} s; every partition's replicas in "
                   f"{{0,1,2}} with a full ISR ({metadata} partitions); PVCs of brokers 3 and 4 "
                   f"deleted")
            env.prometheus.set_brokers(3)
            worst, _ = broker_down_intervals(env.timeline(), {"tern-0", "tern-1", "tern-2"},
                                             t0, time.time())
            self.assertEqual(worst, 0, "brokers 0-2 stayed up during the scale-down")

    def wait_full_isr(self, env, allowed, timeout):
        from confluent_kafka.admin import AdminClient
        a = AdminClient({"bootstrap.servers": BOOTSTRAP, "logger": CLIENT_LOG})

        def check():
            md = a.list_topics(timeout=10)
            bad, n = [], 0
            for t in md.topics.values():
                for p in t.partitions.values():
                    n += 1
                    if not set(p.replicas) <= allowed or sorted(p.isrs) != sorted(p.replicas) \
                            or p.leader < 0:
                        bad.append(f"{t.topic}/{p.id} replicas={p.replicas} isr={p.isrs} "
                                   f"leader={p.leader}")
            cl = env.admin("/v1/cluster")
            if bad or cl["under_replicated_partitions"] or cl["reassigning_partitions"]:
                raise ValueError(f"{len(bad)} partitions not settled: {bad[:5]}; cluster: "
                                 f"under_replicated={cl['under_replicated_partitions']} "
                                 f"reassigning={cl['reassigning_partitions']}")
            return n
        return wait_for(check, timeout, f"every partition on brokers {sorted(allowed)} with a "
                                        f"full ISR", 1)

    def kill_broker(self, env, report):
        with report.step(STEPS[8]) as s:
            pod = "tern-1"
            pid = env.pod_pid(pod)
            self.assertIsNotNone(pid)
            restarts = env.broker_pods()[pod]["status"]["containerStatuses"][0]["restartCount"]
            m0 = time.monotonic()
            sampler = ClusterSampler(brokers=(0, 2, 1))
            sampler.start()
            os.kill(pid, signal.SIGKILL)

            def back():
                p = env.broker_pods()[pod]
                cs = p["status"]["containerStatuses"][0]
                new_pid = env.pod_pid(pod)
                if cs["restartCount"] == restarts + 1 and cs["ready"] and new_pid not in (None, pid):
                    return new_pid
                return None
            new_pid = wait_for(back, 120, f"{pod} restarted (restartCount {restarts + 1}) and ready")
            ready_s = time.monotonic() - m0
            self.assertFalse(pid_alive(pid))
            n = self.wait_full_isr(env, {0, 1, 2}, 120)
            isr_s = time.monotonic() - m0
            s.note(sampler.finish())
            report.facts["kill -9 broker 1: Ready again"] = f"{ready_s:.1f} s"
            report.facts["kill -9 broker 1: back in every ISR"] = f"{isr_s:.1f} s"
            s.note("broker 1 left the ISR while it was down" if sampler.worst[
                "under_replicated_partitions"] > 0 else
                "no partition was seen under-replicated: broker 1 was back before it left "
                "any ISR")
            s.note(f"SIGKILL pid {pid}; the kubelet restarted it as pid {new_pid} "
                   f"(restartCount {restarts + 1}), Ready after {ready_s:.1f} s, all {n} "
                   f"partitions with a full ISR (broker 1 included) after {isr_s:.1f} s")

    def delete_topic(self, env, report):
        with report.step(STEPS[9]) as s:
            from confluent_kafka.admin import AdminClient
            a = AdminClient({"bootstrap.servers": BOOTSTRAP, "logger": CLIENT_LOG})
            self.assertIn("quickstart-events", a.list_topics(timeout=10).topics)
            m0 = time.monotonic()
            env.kubectl("delete", "topics.tern.dev", "quickstart-events", "--wait=false")
            wait_for(lambda: env.topic("quickstart-events") is None, 120,
                     "Topic quickstart-events gone from the API (finalizer done)")
            wait_for(lambda: "quickstart-events" not in a.list_topics(timeout=10).topics, 60,
                     "quickstart-events gone from the cluster's metadata")
            secs = time.monotonic() - m0
            report.facts["delete Topic"] = f"{secs:.1f} s"
            s.note(f"Topic quickstart-events gone from the API and from Kafka metadata after "
                   f"{secs:.1f} s")

    def check_no_loss(self, env, report, producer, consumer):
        with report.step(STEPS[10]) as s:
            remaining = producer.finish(timeout=120)
            acked = dict(producer.acked)
            errors = list(producer.errors)
            s.note(f"sent {producer.sent}, acknowledged {len(acked)}, delivery errors "
                   f"{len(errors)}, unflushed {remaining}")
            if errors:
                kinds = {}
                for e in errors:
                    kinds[e] = kinds.get(e, 0) + 1
                s.note("delivery errors: " + "; ".join(f"{k} x{v}" for k, v in kinds.items()))
            try:
                wait_for(lambda: not consumer.missing(acked), 120,
                         "the group consumer has every acknowledged record", 1)
            except AssertionError:
                pass
            lost_group = consumer.missing(acked)
            group_errors = list(consumer.errors)
            consumer.finish()
            in_log, ends = read_whole_topic(BOOTSTRAP, TRAFFIC_TOPIC, TRAFFIC_PARTITIONS)
            lost_log = [v for v in acked if v not in in_log]
            report.facts["records acknowledged"] = len(acked)
            report.facts["records consumed by the group"] = \
                f"{consumer.records} ({len(consumer.seen)} distinct)"
            report.facts["producer errors"] = len(errors)
            report.facts["records lost (acked, never consumed by the group)"] = len(lost_group)
            report.facts["records lost (acked, not in the log)"] = len(lost_log)
            if group_errors:
                kinds = {}
                for _, e in group_errors:
                    kinds[e] = kinds.get(e, 0) + 1
                s.note("consumer errors: " + "; ".join(f"{k} x{v}" for k, v in kinds.items()))
            s.note(f"group consumer: {consumer.records} records ({len(consumer.seen)} distinct), "
                   f"{consumer.assignments} assignments, {len(group_errors)} consumer errors; "
                   f"log end offsets {ends}")
            s.note(f"lost: {len(lost_group)} never consumed by the group, {len(lost_log)} not in "
                   f"the log" + (f"; e.g. {sorted(lost_group)[:10]}" if lost_group else ""))
            self.assertEqual(remaining, 0, "producer could not flush")
            self.assertGreater(len(acked), 1000)
            self.assertEqual(len(lost_log), 0, "acknowledged records missing from the log")
            self.assertEqual(len(lost_group), 0, "acknowledged records never consumed")

    def delete_cluster(self, env, report):
        with report.step(STEPS[11]) as s:
            m0 = time.monotonic()
            env.kubectl("delete", "topics.tern.dev", TRAFFIC_TOPIC, "--wait=false")
            wait_for(lambda: env.topic(TRAFFIC_TOPIC) is None, 120, f"Topic {TRAFFIC_TOPIC} gone")
            c = env.cluster()
            owners = {c["metadata"]["uid"]}
            owners |= {x["metadata"]["uid"] for x in env.api.items(sts_path(NS))}
            pids = env.all_pod_pids()
            self.assertTrue(pids)
            t0 = time.monotonic()
            env.kubectl("delete", "clusters.tern.dev", CLUSTER, "--wait=false")
            paths = [core_path("configmaps", NS), core_path("services", NS), sts_path(NS),
                     core_path("pods", NS), f"/apis/policy/v1/namespaces/{NS}/poddisruptionbudgets"]

            def owned_left():
                left = []
                for p in paths:
                    for x in env.api.items(p):
                        refs = {r.get("uid") for r in x["metadata"].get("ownerReferences") or []}
                        if refs & owners:
                            left.append(f"{x.get('kind', p.rsplit('/', 1)[-1])}/"
                                        f"{x['metadata']['name']}")
                return left
            wait_for(lambda: env.cluster() is None and not owned_left(), 120,
                     "Cluster and every object it owned (and its StatefulSets' pods) removed")
            gc_s = time.monotonic() - t0
            wait_for(lambda: not env.kubelet_state()["pods"], 90, "the kubelet runs no pod")
            alive = wait_for(lambda: not [p for p in pids if pid_alive(p)] or None, 30,
                             "every pod process gone")
            self.assertTrue(alive)
            procs_s = time.monotonic() - t0
            report.facts["delete Cluster: owned objects gone"] = f"{gc_s:.1f} s"
            report.facts["delete Cluster: all processes gone"] = f"{procs_s:.1f} s"
            pvcs = [x["metadata"]["name"] for x in
                    env.api.items(core_path("persistentvolumeclaims", NS))]
            s.note(f"owned ConfigMaps, Services, StatefulSets, PDB and pods removed by the "
                   f"garbage collector after {gc_s:.1f} s; all {len(pids)} pod processes ever "
                   f"started are gone after {procs_s:.1f} s")
            s.note(f"PVCs left (as Kubernetes keeps StatefulSet volumes by default): "
                   f"{pvcs or 'none'}; topics deleted first ({time.monotonic() - m0:.1f} s in all)")

    def dump_logs(self, env):
        for p in env.procs:
            try:
                print(f"\n===== {p.name} (last 4000 chars)\n{p.log()[-4000:]}")
            except OSError:
                pass
        for pod in ("tern-0", "tern-1", "tern-2", "tern-3", "tern-4", "tern-etcd-0"):
            text = env.pod_log(pod)
            if text:
                print(f"\n===== pod {pod} (last 3000 chars)\n{text[-3000:]}")


if __name__ == "__main__":
    unittest.main()
