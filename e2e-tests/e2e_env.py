"""The local end-to-end environment: the Kubernetes API double, the process kubelet, the
operator and a real Prometheus, each started here and stopped by PID; plus the clients the
scenario uses (kubectl, kcat, confluent-kafka) and the traffic threads that count every
acknowledged and every consumed record."""

import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

sys.path.insert(0, os.path.join(REPO, "broker", "tests"))

from cluster_load import AckedProducer  # noqa: E402,F401 (the test module takes it from here)
from process_kubelet import Api, ApiError, core_path, sts_path  # noqa: E402

BIN_DIR = os.path.abspath(os.environ.get("TERN_BIN_DIR", os.path.join(REPO, "build", "bin")))
CRDS = [os.path.join(REPO, "charts", "tern", "crds", f)
        for f in ("tern.dev_clusters.yaml", "tern.dev_topics.yaml")]
SAMPLES = os.path.join(REPO, "manifests", "samples")
NS = "default"
CLUSTER = "tern"
BOOTSTRAP = "tern-bootstrap.default.svc:9092"
TERN_GROUP = "/apis/tern.dev/v1alpha1"
# First restart delay of a crashed container: long enough for a killed broker's etcd session
# (2 s) to lapse, so it really leaves the ISR and has to rejoin; a real kubelet waits 10 s.
KUBELET_BACKOFF = 5


# librdkafka's log lines (connection refused while a broker restarts, ...) go to
# <work folder>/logs/clients.log instead of the test's output.
CLIENT_LOG = logging.getLogger("e2e.kafka-clients")
CLIENT_LOG.propagate = False
CLIENT_LOG.addHandler(logging.NullHandler())


def cluster_path(name=None, sub=None):
    return f"{TERN_GROUP}/namespaces/{NS}/clusters" + (f"/{name}" if name else "") + \
        (f"/{sub}" if sub else "")


def topic_path(name=None):
    return f"{TERN_GROUP}/namespaces/{NS}/topics" + (f"/{name}" if name else "")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url, method="GET", timeout=5):
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read().decode() or "null")


def wait_for(fn, timeout, what, interval=0.5):
    """Calls fn until it returns something true; that value, or AssertionError naming `what`
    and the last value or exception."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = fn()
            if last:
                return last
        except (OSError, ApiError, ValueError, KeyError) as e:
            last = f"{type(e).__name__}: {e}"
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f}s; last: {str(last)[:1500]}")
        time.sleep(interval)


def condition(obj, typ):
    for c in (obj or {}).get("status", {}).get("conditions") or []:
        if c.get("type") == typ:
            return c
    return None


def is_ready(obj, generation=None):
    c = condition(obj, "Ready")
    if c is None or c.get("status") != "True":
        return False
    if generation is not None and obj["status"].get("observedGeneration") != generation:
        return False
    return True


class Proc:
    """A child process with its output in a log file; stop() by PID."""

    def __init__(self, name, argv, log_dir, env=None, ready_re=None, timeout=30):
        self.name = name
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        self.match = None
        if ready_re:
            pat = re.compile(ready_re)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                m = pat.search(self.log())
                if m:
                    self.match = m
                    break
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
            if self.match is None:
                self.stop()
                raise AssertionError(f"{name} did not start:\n{self.log()[-3000:]}")

    @property
    def pid(self):
        return self.proc.pid

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, grace=15):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is gone for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class Environment:
    """Everything the scenario runs against. start() brings it up; stop() takes it down
    (also after a failure) and kills by PID whatever the kubelet left behind."""

    def __init__(self):
        for tool in ("tern-kube-double", "tern-operator", "tern-broker", "tern"):
            if not os.access(os.path.join(BIN_DIR, tool), os.X_OK):
                raise unittest.SkipTest(f"{tool} not found in {BIN_DIR} (set TERN_BIN_DIR)")
        if os.geteuid() != 0:
            raise unittest.SkipTest(
                "the process kubelet maps pod and Service DNS names in /etc/hosts, which needs "
                "root; run as root (in CI the test runs as root)")
        for tool in ("etcd", "kcat", "kubectl", "prometheus"):
            if shutil.which(tool) is None:
                raise unittest.SkipTest(f"{tool} is not installed")
        self.dir = tempfile.mkdtemp(prefix="tern-e2e-")
        self.logs = os.path.join(self.dir, "logs")
        os.makedirs(self.logs)
        self.procs = []
        self.prometheus = None
        handler = logging.FileHandler(os.path.join(self.logs, "clients.log"))
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        CLIENT_LOG.addHandler(handler)
        CLIENT_LOG.setLevel(logging.INFO)
        self.kubelet_root = os.path.join(self.dir, "kubelet")

    # -- lifecycle
    def start(self):
        double = Proc("kube-double",
                      [os.path.join(BIN_DIR, "tern-kube-double"), "--port", "0"] +
                      sum((["--crd", c] for c in CRDS), []),
                      self.logs, ready_re=r"ready: (http://\S+)")
        self.procs.append(double)
        self.server = double.match.group(1)
        self.api = Api(self.server)
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        with open(self.kubeconfig, "w") as f:
            f.write(f"""apiVersion: v1
kind: Config
clusters:
- name: double
  cluster: {{server: "{self.server}"}}
users:
- name: e2e
  user: {{}}
contexts:
- name: e2e
  context: {{cluster: double, user: e2e, namespace: {NS}}}
current-context: e2e
""")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TERN_")}
        self.kubelet = Proc("process-kubelet",
                            [sys.executable, os.path.join(HERE, "process_kubelet.py"),
                             "--server", self.server, "--root", self.kubelet_root,
                             "--bin-dir", BIN_DIR, "--probe-period-scale", "0.2",
                             "--max-grace-seconds", "10", "--restart-backoff-seconds",
                             str(KUBELET_BACKOFF)],
                            self.logs, env=env, ready_re=r"process-kubelet ready")
        self.procs.append(self.kubelet)
        self.operator_port = free_port()
        self.operator = Proc("operator",
                             [os.path.join(BIN_DIR, "tern-operator"), "--kubeconfig",
                              self.kubeconfig, "--metrics-addr",
                              f"127.0.0.1:{self.operator_port}"],
                             self.logs, env=env, ready_re=r"tern-operator ready")
        self.procs.append(self.operator)

    def start_prometheus(self, broker_count):
        self.prometheus = Prometheus(self.dir, f"127.0.0.1:{self.operator_port}")
        self.prometheus.set_brokers(broker_count)
        self.prometheus.start()

    def stop(self):
        errors = []
        if self.prometheus:
            try:
                self.prometheus.stop()
            except Exception as e:  # keep stopping the rest
                errors.append(f"prometheus: {e}")
        # The operator first, so it does not fight the kubelet's shutdown; the kubelet stops
        # every pod's processes and removes its /etc/hosts block; then the API double.
        for p in reversed(self.procs):
            try:
                p.stop(grace=90 if p is getattr(self, "kubelet", None) else 15)
            except Exception as e:
                errors.append(f"{p.name}: {e}")
        for pid in self.all_pod_pids():
            if pid_alive(pid):
                errors.append(f"pod process {pid} outlived the kubelet; killed")
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        return errors

    def cleanup_dir(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- kubelet records
    def timeline(self):
        path = os.path.join(self.kubelet_root, "timeline.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def kubelet_state(self):
        with open(os.path.join(self.kubelet_root, "state.json")) as f:
            return json.load(f)

    def all_pod_pids(self):
        return sorted({e["pid"] for e in self.timeline() if e["event"] == "started"})

    def pod_pid(self, pod):
        pids = self.kubelet_state()["pods"].get(f"{NS}/{pod}", {}).get("pids", {})
        return next(iter(pids.values()), None)

    def pod_log(self, pod):
        out = []
        base = os.path.join(self.kubelet_root, "pods")
        for d in sorted(os.listdir(base)) if os.path.isdir(base) else []:
            if d.startswith(f"{NS}_{pod}_"):
                for n in os.listdir(os.path.join(base, d)):
                    if n.endswith(".log"):
                        with open(os.path.join(base, d, n), "rb") as f:
                            out.append(f"--- {d}/{n}\n" + f.read().decode("utf-8", "replace"))
        return "\n".join(out)

    # -- clients
    def kubectl(self, *args, check=True, input=None):
        r = subprocess.run(["kubectl", "--kubeconfig", self.kubeconfig, *args],
                           capture_output=True, text=True, timeout=60, input=input)
        if check and r.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)}: {r.returncode}\n{r.stderr}")
        return r.stdout

    def cluster(self):
        return self.api.get(cluster_path(CLUSTER))

    def topic(self, name):
        return self.api.get(topic_path(name))

    def pods(self, prefix=None):
        items = self.api.items(core_path("pods", NS))
        return [p for p in items if prefix is None or p["metadata"]["name"].startswith(prefix)]

    def broker_pods(self):
        return {p["metadata"]["name"]: p for p in self.pods()
                if re.fullmatch(rf"{CLUSTER}-\d+", p["metadata"]["name"])}

    def admin(self, path, broker=0):
        return http_json(f"http://{CLUSTER}-{broker}.{CLUSTER}-brokers.{NS}.svc:9644{path}")

    def events(self, involved=None):
        items = self.api.items(core_path("events", NS))
        if involved:
            items = [e for e in items if e.get("involvedObject", {}).get("name") == involved]
        return sorted(items, key=lambda e: (e.get("firstTimestamp", ""), e["metadata"]["name"]))

    def merge_patch_cluster(self, patch):
        return self.api.merge_patch(cluster_path(CLUSTER), patch)


class Prometheus:
    """A real Prometheus with jobs tern-broker (file_sd: the broker pods' DNS names, admin
    port) and tern-operator, as metrics/prometheus.yml names them, and the alert rules."""

    def __init__(self, base_dir, operator_target):
        self.bin = shutil.which("prometheus")
        if self.bin is None:
            raise unittest.SkipTest("prometheus is not installed")
        self.dir = os.path.join(base_dir, "prometheus")
        os.makedirs(self.dir)
        self.targets = os.path.join(self.dir, "brokers.json")
        rules = os.path.join(REPO, "metrics", "alerts", "tern-rules.yml")
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as f:
            json.dump({  # JSON is YAML
                "global": {"scrape_interval": "2s", "scrape_timeout": "2s",
                           "evaluation_interval": "2s"},
                "rule_files": [rules],
                "scrape_configs": [
                    {"job_name": "tern-broker", "metrics_path": "/metrics",
                     "file_sd_configs": [{"files": [self.targets], "refresh_interval": "2s"}]},
                    {"job_name": "tern-operator", "metrics_path": "/metrics",
                     "static_configs": [{"targets": [operator_target]}]},
                ]}, f, indent=1)
        self.proc = None

    def set_brokers(self, n):
        tmp = self.targets + ".tmp"
        with open(tmp, "w") as f:
            json.dump([{"targets": [f"{CLUSTER}-{i}.{CLUSTER}-brokers.{NS}.svc:9644"
                                    for i in range(n)],
                        "labels": {"namespace": NS, "cluster": CLUSTER}}], f)
        os.replace(tmp, self.targets)

    def start(self):
        for _ in range(3):
            port = free_port()
            self.url = f"http://127.0.0.1:{port}"
            self.proc = Proc("prometheus", [
                self.bin, f"--config.file={self.config}",
                f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
                f"--web.listen-address=127.0.0.1:{port}"], self.dir)
            try:
                wait_for(lambda: urllib.request.urlopen(self.url + "/-/ready", timeout=2).status
                         == 200, 30, "prometheus ready", 0.2)
                return
            except AssertionError:
                self.proc.stop()
                if "address already in use" not in self.proc.log():
                    raise AssertionError("prometheus did not start:\n" + self.proc.log()[-3000:])

    def stop(self):
        if self.proc:
            self.proc.stop()
            self.proc = None

    def query(self, expr):
        doc = http_json(f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        if doc.get("status") != "success":
            raise AssertionError(f"query {expr}: {doc}")
        return [(r["metric"], float(r["value"][1])) for r in doc["data"]["result"]]

    def rules(self):
        return http_json(f"{self.url}/api/v1/rules")["data"]["groups"]


# ---------------------------------------------------------------------------------- traffic
class GroupConsumer(threading.Thread):
    """A member of consumer group `group` subscribed to `topic`, committing automatically;
    keeps every value it was given and every error."""

    def __init__(self, bootstrap, topic, group):
        super().__init__(daemon=True, name="group-consumer")
        from confluent_kafka import Consumer
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": True, "auto.commit.interval.ms": 1000,
            "topic.metadata.refresh.interval.ms": 1000, "client.id": "e2e-group-consumer",
            "session.timeout.ms": 10000, "heartbeat.interval.ms": 1000}, logger=CLIENT_LOG)
        self.topic = topic
        self.seen = set()
        self.records = 0
        self.errors = []
        self.assignments = 0
        self._halt = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        def on_assign(_c, parts):
            self.assignments += 1
        self.consumer.subscribe([self.topic], on_assign=on_assign)
        while not self._halt.is_set():
            for m in self.consumer.consume(num_messages=500, timeout=0.2):
                if m.error():
                    with self.lock:
                        self.errors.append((time.time(), str(m.error())))
                    continue
                with self.lock:
                    self.seen.add(m.value().decode())
                    self.records += 1

    def seen_count(self):
        with self.lock:
            return len(self.seen)

    def missing(self, values):
        with self.lock:
            return [v for v in values if v not in self.seen]

    def finish(self):
        self._halt.set()
        self.join(timeout=15)
        self.consumer.close()


def read_whole_topic(bootstrap, topic, partitions, timeout=60):
    """Every value in the topic, read by assignment from the beginning to the high
    watermarks of now (no group)."""
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "e2e-audit",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"},
                 logger=CLIENT_LOG)
    try:
        ends = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=15)[1]
                for p in range(partitions)}
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        values, done = set(), {p for p, e in ends.items() if e == 0}
        deadline = time.monotonic() + timeout
        while len(done) < partitions and time.monotonic() < deadline:
            for m in c.consume(num_messages=1000, timeout=0.5):
                if m.error():
                    continue
                values.add(m.value().decode())
                if m.offset() + 1 >= ends[m.partition()]:
                    done.add(m.partition())
        return values, ends
    finally:
        c.close()


class ClusterSampler(threading.Thread):
    """Asks /v1/cluster of the first broker that answers, every `interval` seconds, and keeps
    the largest under-replicated, under-min-ISR and offline partition counts it saw."""

    def __init__(self, brokers=range(5), interval=0.25):
        super().__init__(daemon=True, name="cluster-sampler")
        self.brokers, self.interval = list(brokers), interval
        self.worst = {"under_replicated_partitions": 0, "under_min_isr_partitions": 0,
                      "offline_partitions": 0}
        self.samples = 0
        self.series = []  # (time, under-replicated)
        self._halt = threading.Event()

    def under_replicated_before(self, t):
        """The last under-replicated count sampled before time t (None if none)."""
        last = None
        for ts, ur in self.series:
            if ts >= t:
                break
            last = ur
        return last

    def run(self):
        while not self._halt.is_set():
            for b in self.brokers:
                try:
                    d = http_json(f"http://{CLUSTER}-{b}.{CLUSTER}-brokers.{NS}.svc:9644"
                                  f"/v1/cluster", timeout=1)
                except (OSError, ValueError):
                    continue
                for k in self.worst:
                    self.worst[k] = max(self.worst[k], int(d.get(k, 0)))
                self.samples += 1
                self.series.append((time.time(), int(d.get("under_replicated_partitions", 0))))
                break
            self._halt.wait(self.interval)

    def finish(self):
        self._halt.set()
        self.join(timeout=5)
        return (f"worst seen in {self.samples} samples of /v1/cluster: under-replicated "
                f"{self.worst['under_replicated_partitions']}, under-min-ISR "
                f"{self.worst['under_min_isr_partitions']}, offline "
                f"{self.worst['offline_partitions']}")
