"""Metrics, dashboards and alert rules against a real broker, operator and Prometheus.

- StaticFilesTest: everything in metrics/ parses, the generated PrometheusRule matches
  alerts/tern-rules.yml, promtool accepts the rules and metrics/prometheus.yml, every alert has
  a severity, summary, description and `for:`, the monitors scrape the right ports.
- BrokerMetricsTest: one broker (metrics.partition.level=partition) after produce, fetch and a
  consumer group: /healthz and /readyz, `promtool check metrics`, HELP text and the README's
  metrics table, and no dashboard panel or alert uses a broker metric (or label, or label value)
  that the broker does not emit.
- OperatorMetricsTest: a tern-operator against tern-kube-double (the Kubernetes API test
  double) with a Cluster, a Topic, a Topic whose deletion keeps failing, and an API server
  restart: the same checks for the tern_operator_* metrics and the README's operator table.
- PrometheusTest: a broker and an operator scraped every second by a real Prometheus (started
  here, stopped by PID) that loads the rules: series exist and move (records in, consumer lag up
  then back to 0, reconciles), rules load and evaluate, every dashboard expression is valid
  PromQL, TernOperatorReconcileErrors goes pending while a reconcile keeps failing, and
  TernBrokerDown goes pending when the broker stops.

Each live test checks the metrics of its own process: a dashboard or alert expression is
checked against the scrape of the process whose metrics it uses (tern_operator_* against the
operator's, the rest against the broker's; Prometheus's own series against both).
"""

import glob
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from tern_fixture import (BrokerTestCase, TernBroker, REPO, create_topic, describe_exit,
                          free_port)

import yaml

METRICS_DIR = os.path.join(REPO, "metrics")
RULES_FILE = os.path.join(METRICS_DIR, "alerts", "tern-rules.yml")
PROMETHEUS_RULE_FILE = os.path.join(METRICS_DIR, "alerts", "prometheusrule.yaml")
DASHBOARDS = sorted(glob.glob(os.path.join(METRICS_DIR, "dashboards", "*.json")))
README = os.path.join(REPO, "README.md")

PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")

CRDS = [os.path.join(REPO, "charts", "tern", "crds", f)
        for f in ("tern.dev_clusters.yaml", "tern.dev_topics.yaml")]
# The operator's test Cluster. Its bootstrap Service's DNS name must resolve to nothing: other
# tests on the same machine map `tern-bootstrap.default.svc` to real brokers in /etc/hosts.
NAMESPACE = "tern-metrics-test"
CLUSTER = "metrics-test"
CLUSTER_BOOTSTRAP = f"{CLUSTER}-bootstrap.{NAMESPACE}.svc"
CLUSTERS_PATH = f"/apis/tern.dev/v1alpha1/namespaces/{NAMESPACE}/clusters"
TOPICS_PATH = f"/apis/tern.dev/v1alpha1/namespaces/{NAMESPACE}/topics"
# The operator's reconcile results (tern_operator_reconcile_total's result label).
OPERATOR_RESULTS = {"success", "error", "requeue"}

# Series Prometheus makes itself: name -> (type, labels, label values or None when unknown).
PROMETHEUS_BUILTINS = {
    "up": ("gauge", set(), None),
    "scrape_duration_seconds": ("gauge", set(), None),
    "scrape_samples_scraped": ("gauge", set(), None),
    "ALERTS": ("gauge", {"alertname", "alertstate", "severity"}, None),
    "ALERTS_FOR_STATE": ("gauge", {"alertname", "severity"}, None),
}
# Labels Prometheus (or the ServiceMonitor/PodMonitor relabelings) attach to every series.
TARGET_LABELS = {"job", "instance", "namespace", "cluster", "pod", "service", "endpoint",
                 "container"}

REQUIRED_ALERTS = {
    "TernUnderReplicatedPartitions", "TernOfflinePartitions", "TernNoActiveController",
    "TernMultipleActiveControllers", "TernUnderMinIsrPartitions", "TernConsumerLagHigh",
    "TernDiskWillFillIn4Hours", "TernBrokerDown", "TernProduceLatencyHigh",
    "TernOperatorReconcileErrors",
}
# Alerts that must stay quiet on a healthy single broker.
HEALTHY_QUIET_ALERTS = ["TernBrokerDown", "TernNoActiveController",
                        "TernMultipleActiveControllers", "TernOfflinePartitions",
                        "TernUnderMinIsrPartitions", "TernUnderReplicatedPartitions",
                        "TernConsumerLagHigh"]


# ------------------------------------------------------------------------------ helpers
def http_get(url, timeout=10):
    """(status, content type, body text); HTTP errors return their status too."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode("utf-8", "replace")


_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
_SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+\S+)?$')


def parse_exposition(text):
    """Families of a Prometheus text exposition: name -> {type, help, labels, samples}."""
    families = {}

    def fam(name):
        return families.setdefault(name, {"type": None, "help": None, "labels": set(),
                                          "samples": []})

    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("# HELP "):
            parts = line[7:].split(" ", 1)
            fam(parts[0])["help"] = parts[1] if len(parts) > 1 else ""
            continue
        if line.startswith("# TYPE "):
            name, typ = line[7:].split()
            fam(name)["type"] = typ
            continue
        if line.startswith("#"):
            continue
        m = _SAMPLE_RE.match(line)
        if not m:
            raise AssertionError(f"unparsable exposition line: {line!r}")
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[:-len(suffix)]
            if name.endswith(suffix) and families.get(base, {}).get("type") in (
                    "histogram", "summary"):
                family = base
                break
        f = fam(family)
        lab = dict(_LABEL_RE.findall(labels))
        f["labels"].update(k for k in lab if k not in ("le", "quantile"))
        f["samples"].append((name, lab, float(value)))
    return families


def readme_metrics_table():
    """Rows of README's metrics table: name -> (type, labels)."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^## HTTP endpoint and metrics\n(.*?)(?=^## )", text, re.S | re.M)
    assert m, "README.md has no '## HTTP endpoint and metrics' section"
    rows = {}
    for line in m.group(1).splitlines():
        r = re.match(r"^\|\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`\s*\|([^|]*)\|([^|]*)\|", line)
        if r:
            labels = {x.strip() for x in r.group(3).split(",") if x.strip()}
            rows[r.group(1)] = (r.group(2).strip(), labels)
    return rows


# PromQL: the metric selectors and grouping labels of an expression. Good enough for the
# expressions in metrics/ (no nested braces in strings, no subqueries with odd steps).
_PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
                    "unless", "bool", "offset", "inf", "nan", "atan2"}
_GROUPING_RE = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_IDENT_RE = re.compile(r"(?<![\w:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)")


_MATCHER_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'
                         r"'(?:[^'\\]|\\.)*'|`[^`]*`)")


def promql_parts(expr):
    """([(metric, {matcher label: value})], {grouping labels}) of a PromQL expression. The value
    is the one an `=` matcher asks for; None for other matchers and for Grafana variables."""
    # Label matchers first (their values may hold anything), then strip strings and ranges.
    selectors = []
    grouping = set()
    text = expr
    # Pull out {...} blocks with their matcher label names, leaving a placeholder.
    blocks = []

    def take_block(m):
        matchers = {}
        for label, op, quoted in _MATCHER_RE.findall(m.group(1)):
            value = re.sub(r"\\(.)", r"\1", quoted[1:-1]) if quoted[0] != "`" else quoted[1:-1]
            matchers[label] = value if op == "=" and "$" not in value else None
        blocks.append(matchers)
        return f"\x00{len(blocks) - 1}\x00"

    text = re.sub(r"\{((?:[^{}\"]|\"(?:[^\"\\]|\\.)*\")*)\}", take_block, text)
    text = _STRING_RE.sub(" ", text)
    for m in _GROUPING_RE.finditer(text):
        grouping.update(x.strip() for x in m.group(2).split(",") if x.strip())
    text = _GROUPING_RE.sub(" ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    for m in _IDENT_RE.finditer(text):
        name = m.group(1)
        rest = text[m.end():].lstrip()
        if rest.startswith("("):
            continue  # function or aggregation
        if name.lower() in _PROMQL_KEYWORDS:
            continue
        matchers = {}
        b = re.match(r"\x00(\d+)\x00", rest)
        if b:
            matchers = blocks[int(b.group(1))]
        selectors.append((name, matchers))
    return selectors, grouping


def dashboard_expressions(dash):
    """[(where, expr)] for every panel target and every query variable of a dashboard."""
    out = []

    def walk(panels):
        for p in panels:
            if p.get("type") == "row":
                walk(p.get("panels", []))
                continue
            targets = p.get("targets") or []
            exprs = [t.get("expr") for t in targets if t.get("expr")]
            out.append((f"panel {p.get('title')!r}", None if not exprs else exprs))
            for t in targets:
                if t.get("expr"):
                    out.append((f"panel {p.get('title')!r} target {t.get('refId')}",
                                t["expr"]))

    walk(dash.get("panels", []))
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = re.match(r"^\s*label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$", q or "")
        if m:
            # The label must be a grouping label of the query's metric.
            out.append((f"variable ${v['name']}", f"max by ({m.group(2)}) ({m.group(1)})"))
        else:
            out.append((f"variable ${v['name']}", q))
    return out


def alert_rules():
    with open(RULES_FILE, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    return [(g["name"], r) for g in doc["groups"] for r in g["rules"]]


def grafana_to_promql(expr):
    """Substitute Grafana variables so that Prometheus can run a dashboard expression."""
    expr = re.sub(r"\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}",
                  "1m", expr)
    return re.sub(r"\$\{?\w+\}?", ".+", expr)


def is_operator_metric(name):
    return name.startswith("tern_operator_")


def is_broker_metric(name):
    return not is_operator_metric(name)


def metric_catalog(families):
    """name -> (type, labels, {label: values seen}) of one scrape, plus Prometheus's own series:
    everything a dashboard or alert may use of that process."""
    cat = {}
    for name, f in families.items():
        values = {label: set() for label in f["labels"]}
        for _, lab, _ in f["samples"]:
            for label, value in lab.items():
                if label in values:
                    values[label].add(value)
        cat[name] = (f["type"], set(f["labels"]), values)
    cat.update(PROMETHEUS_BUILTINS)
    return cat


def resolve_metric(catalog, name):
    """(family, type, labels, values, is_bucket) or None when the scrape has no `name`."""
    if name in catalog:
        typ, labels, values = catalog[name]
        return name, typ, labels, values, False
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and base in catalog and catalog[base][0] in ("histogram",
                                                                              "summary"):
            typ, labels, values = catalog[base]
            return base, typ, labels, values, suffix == "_bucket"
    return None


def check_expression(catalog, where, expr, in_scope=lambda name: True):
    """Problems with one expression: unknown metrics, labels and `=` label values.

    `catalog` is one process's scrape (metric_catalog); metrics for which in_scope(name) is
    false belong to another process, checked against its own scrape, and are skipped here.
    Prometheus's own series are in every scope. An expression that mixes metrics of this scope
    with others' is a problem: its grouping labels could be checked by neither."""
    problems = []
    selectors, grouping = promql_parts(expr)
    if not selectors:
        return [f"{where}: no metric in {expr!r}"]
    ours = [(n, m) for n, m in selectors if n in PROMETHEUS_BUILTINS or in_scope(n)]
    if len(ours) < len(selectors):
        if any(n not in PROMETHEUS_BUILTINS for n, _ in ours):
            others = sorted({n for n, _ in selectors} - {n for n, _ in ours})
            return [f"{where}: mixes metrics of two processes ({others} are another's; "
                    f"expr {expr!r})"]
        return []  # another process's expression
    known_labels = set(TARGET_LABELS)
    for name, matchers in selectors:
        r = resolve_metric(catalog, name)
        if r is None:
            problems.append(f"{where}: {name} is emitted by nothing (expr {expr!r})")
            continue
        family, _, labels, values, is_bucket = r
        allowed = labels | TARGET_LABELS | ({"le"} if is_bucket else set())
        known_labels |= allowed
        for label in set(matchers) - allowed:
            problems.append(f"{where}: {name} has no label {label!r} (it has "
                            f"{sorted(labels)}; expr {expr!r})")
        for label, value in matchers.items():
            seen = (values or {}).get(label)
            if value is not None and seen is not None and value not in seen:
                problems.append(f"{where}: no {family} series has {label}={value!r} (seen "
                                f"{sorted(seen)}; expr {expr!r})")
    for label in grouping - known_labels:
        problems.append(f"{where}: grouping label {label!r} is on none of the metrics "
                        f"(expr {expr!r})")
    return problems


class Prometheus:
    """A real Prometheus on 127.0.0.1:<free port> with its TSDB in a temp dir; stop() by PID.
    `targets` maps a scrape job's name to its one HOST:PORT."""

    def __init__(self, targets, rule_files, interval="1s"):
        if not PROMETHEUS:
            raise unittest.SkipTest("prometheus is not installed")
        self.dir = tempfile.mkdtemp(prefix="tern-prometheus-")
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as f:
            yaml.safe_dump({
                "global": {"scrape_interval": interval, "scrape_timeout": interval,
                           "evaluation_interval": interval},
                "rule_files": list(rule_files),
                "scrape_configs": [{"job_name": job, "metrics_path": "/metrics",
                                    "static_configs": [{"targets": [target]}]}
                                   for job, target in targets.items()],
            }, f)
        self.proc = None
        self.url = None
        self.log_path = os.path.join(self.dir, "prometheus.log")

    def start(self, timeout=30):
        for attempt in range(3):
            port = free_port()
            self.url = f"http://127.0.0.1:{port}"
            self._log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                [PROMETHEUS, f"--config.file={self.config}",
                 f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
                 f"--web.listen-address=127.0.0.1:{port}", "--log.level=info"],
                stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.dir)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    if http_get(self.url + "/-/ready", timeout=2)[0] == 200:
                        return self
                except OSError:
                    pass
                time.sleep(0.1)
            self.stop()
            if "address already in use" not in self.log():
                break
        raise AssertionError(f"prometheus did not become ready\n{self.log()[-5000:]}")

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None
        self._log.close()

    def cleanup(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def api(self, path, **params):
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        status, _, body = http_get(url)
        doc = json.loads(body)
        if status != 200 or doc.get("status") != "success":
            raise AssertionError(f"GET {url}: {status} {body[:2000]}")
        return doc["data"]

    def query(self, expr):
        """[(labels, value)] of an instant query."""
        data = self.api("query", query=expr)
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def wait_for(self, expr, pred, what, timeout=30):
        """Poll `expr` until pred(result) holds; fail with the last result."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.query(expr)
            if pred(last):
                return last
            time.sleep(0.25)
        raise AssertionError(f"Prometheus: {what} not seen within {timeout}s; "
                             f"last result of {expr!r}: {last}")


def single_value(result):
    return result[0][1] if len(result) == 1 else None


def tern_binary(name):
    bin_dir = os.environ.get("TERN_BIN_DIR", os.path.join(REPO, "build", "bin"))
    path = os.path.join(bin_dir, name)
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"{name} not found at {path} (set TERN_BIN_DIR)")
    return path


def stop_process(proc, timeout=20):
    """SIGTERM by PID, SIGKILL if it is still there after `timeout` seconds."""
    if proc is None or proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def series(families, name):
    """Label sets of the samples called `name` (a family, or a histogram's _bucket/_count)."""
    return [lab for f in families.values() for n, lab, _ in f["samples"] if n == name]


def counted(families, name):
    """Label sets of the samples called `name` whose value is above 0 (the operator declares its
    counters at 0 from the start)."""
    return [lab for f in families.values() for n, lab, v in f["samples"]
            if n == name and float(v) > 0]


def reconcile_results(families):
    """{(controller, result)} of tern_operator_reconcile_total that have counted something."""
    return {(lab.get("controller"), lab.get("result"))
            for lab in counted(families, "tern_operator_reconcile_total")}


class TernOperator:
    """tern-kube-double (the Kubernetes API test double, with tern's CRDs) and a tern-operator
    given a kubeconfig for it, both on 127.0.0.1 port 0 with logs in a temp dir; stopped by PID.

    Order: start_api(), start_operator() (it waits for /readyz), create_objects(). Not the
    objects first: the operator's controllers start before its caches are synced, and a Topic
    being deleted whose Cluster is not in the cache yet is released as if the Cluster were gone
    (no error, and the Kafka topic would stay)."""

    API_READY = re.compile(r"tern-kube-double ready: (http://\S+)")
    OPERATOR_READY = re.compile(r"tern-operator ready: metrics=(http://\S+)")

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tern-operator-")
        self.api_proc = self.operator_proc = None
        self.api_url = self.metrics_url = None
        self._starts = 0
        # Nothing from the environment chooses the cluster or the operator's config.
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("TERN_") and k not in ("KUBECONFIG", "POD_NAMESPACE")}

    def _start(self, argv, name, ready_re, timeout=20):
        self._starts += 1
        log_path = os.path.join(self.dir, f"{self._starts:02d}-{name}.log")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, cwd=self.dir, env=self.env)
        deadline = time.monotonic() + timeout
        while True:
            with open(log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            m = ready_re.search(text)
            if m:
                return proc, m.group(1)
            if proc.poll() is not None:
                raise AssertionError(f"{name} stopped ({describe_exit(proc.returncode)}) before "
                                     f"it was ready: {argv}\n{text[-5000:]}")
            if time.monotonic() > deadline:
                stop_process(proc)
                raise AssertionError(f"{name} not ready within {timeout}s: {argv}\n"
                                     f"{text[-5000:]}")
            time.sleep(0.05)

    def start_api(self, port=0):
        argv = [tern_binary("tern-kube-double"), "--host", "127.0.0.1", "--port", str(port)]
        for crd in CRDS:
            argv += ["--crd", crd]
        self.api_proc, self.api_url = self._start(argv, "tern-kube-double", self.API_READY)
        return self

    def restart_api(self):
        """A new, empty API double on the same port: to the operator, an API server restart
        (every watch stream ends and is opened again)."""
        port = urllib.parse.urlparse(self.api_url).port
        stop_process(self.api_proc)
        self.api_proc = None
        self.start_api(port)

    def start_operator(self):
        kubeconfig = os.path.join(self.dir, "kubeconfig")
        with open(kubeconfig, "w") as f:
            yaml.safe_dump({
                "apiVersion": "v1", "kind": "Config", "current-context": "double",
                "clusters": [{"name": "double", "cluster": {"server": self.api_url}}],
                "users": [{"name": "anonymous", "user": {}}],
                "contexts": [{"name": "double", "context": {"cluster": "double",
                                                            "user": "anonymous"}}],
            }, f)
        # Two workers per controller (the default, said here because the scenario needs it):
        # the failing deletion and the unreachable Topic each hold one for a Kafka timeout.
        argv = [tern_binary("tern-operator"), "--kubeconfig", kubeconfig,
                "--metrics-addr", "127.0.0.1:0", "--workers", "2"]
        self.operator_proc, self.metrics_url = self._start(argv, "tern-operator",
                                                           self.OPERATOR_READY)
        deadline = time.monotonic() + 20
        while http_get(self.metrics_url + "/readyz")[0] != 200:
            if time.monotonic() > deadline:
                raise AssertionError(f"tern-operator's /readyz not 200 within 20s:\n"
                                     f"{self.logs()[-5000:]}")
            time.sleep(0.1)
        return self

    def kube(self, method, path, body=None, content_type="application/json"):
        """One request to the API double; its JSON answer. Fails on any non-2xx status."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.api_url + path, data=data, method=method,
                                     headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{method} {path}: {e.code} "
                                 f"{e.read().decode('utf-8', 'replace')[:2000]}") from None

    def create_objects(self):
        """A Cluster and a Topic on it. The double runs no pods and the cluster's bootstrap
        Service does not resolve (checked first), so:
        - the cluster controller requeues (brokers not ready): result="requeue";
        - the topic controller adds the Topic's finalizer (success), then cannot reach the
          cluster (one Kafka timeout, ~10 s; for 5 s after it the next calls fail at once):
          result="error", retried with backoff;
        - meanwhile the Topic is deleted after its Kafka topic was created (status.topicName
          set, as the operator does once it exists); deleting the Kafka topic fails too, until
          the finalizer gives up after 5 minutes.
        This is what TernOperatorReconcileErrors is for. The first error comes ~10 s after this
        call."""
        try:
            found = socket.getaddrinfo(CLUSTER_BOOTSTRAP, 9092)
        except socket.gaierror:
            pass
        else:
            raise AssertionError(f"{CLUSTER_BOOTSTRAP} resolves ({found[0][4]}): the operator "
                                 f"would reach a real Kafka instead of failing")
        self.kube("POST", "/api/v1/namespaces", {
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        self.kube("POST", CLUSTERS_PATH, {
            "apiVersion": "tern.dev/v1alpha1", "kind": "Cluster", "metadata": {"name": CLUSTER},
            "spec": {"replicas": 1, "metadataStore": {"type": "embedded"}}})
        # Once the operator wrote the Cluster's status, its cache has the Cluster (the Topics'
        # reconciles look it up there).
        deadline = time.monotonic() + 20
        while not self.kube("GET", f"{CLUSTERS_PATH}/{CLUSTER}").get("status", {}).get(
                "conditions"):
            assert time.monotonic() < deadline, "the operator did not reconcile the Cluster"
            time.sleep(0.05)

        def topic(name):
            return {"apiVersion": "tern.dev/v1alpha1", "kind": "Topic",
                    "metadata": {"name": name},
                    "spec": {"clusterRef": {"name": CLUSTER}, "partitions": 1,
                             "replicationFactor": 1}}

        self.kube("POST", TOPICS_PATH, topic("leaving"))
        while "tern.dev/topic" not in self.kube("GET", TOPICS_PATH + "/leaving")["metadata"].get(
                "finalizers", []):
            assert time.monotonic() < deadline, "the operator did not add the Topic's finalizer"
            time.sleep(0.05)
        self.kube("PATCH", TOPICS_PATH + "/leaving/status", {"status": {"topicName": "leaving"}},
                  "application/merge-patch+json")
        gone = self.kube("DELETE", TOPICS_PATH + "/leaving")
        assert gone["metadata"].get("deletionTimestamp"), f"the finalizer did not hold {gone}"
        assert gone.get("status", {}).get("topicName") == "leaving", gone

    def scrape(self):
        status, _, text = http_get(self.metrics_url + "/metrics")
        assert status == 200, f"tern-operator's /metrics returned {status}: {text[:2000]}"
        return text

    def wait_for(self, pred, what, timeout=45):
        """Scrape until pred(families) holds; the scrape's text."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.scrape()
            if pred(parse_exposition(text)):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"tern-operator: {what} not seen within {timeout}s; last "
                                     f"scrape:\n{text}")
            time.sleep(0.25)

    def logs(self):
        out = []
        for path in sorted(glob.glob(os.path.join(self.dir, "*.log"))):
            with open(path, "rb") as f:
                out.append(f"--- {os.path.basename(path)} ---\n"
                           + f.read().decode("utf-8", "replace"))
        return "\n".join(out)

    def cleanup(self):
        try:
            # On SIGTERM the operator finishes the reconciles in flight, here Kafka calls that
            # time out after ~10 s: graceful stops are not under test, do not wait for them.
            stop_process(self.operator_proc, timeout=3)
        finally:
            try:
                stop_process(self.api_proc)
            finally:
                shutil.rmtree(self.dir, ignore_errors=True)


# ------------------------------------------------------------------------------ static files
class StaticFilesTest(unittest.TestCase):

    def test_every_file_parses(self):
        files = []
        for root, _, names in os.walk(METRICS_DIR):
            for n in names:
                path = os.path.join(root, n)
                if n.endswith((".yml", ".yaml")):
                    with open(path, encoding="utf-8") as f:
                        docs = [d for d in yaml.safe_load_all(f) if d is not None]
                    self.assertTrue(docs, f"{path} is empty")
                    files.append(path)
                elif n.endswith(".json"):
                    with open(path, encoding="utf-8") as f:
                        json.load(f)
                    files.append(path)
        self.assertGreaterEqual(len(files), 9, files)
        self.assertEqual(
            sorted(os.path.basename(d) for d in DASHBOARDS),
            ["tern-cluster.json", "tern-consumer-groups.json", "tern-operator.json",
             "tern-topics.json"])

    def test_dashboards_structure(self):
        uids = set()
        for path in DASHBOARDS:
            name = os.path.basename(path)
            with open(path) as f:
                dash = json.load(f)
            with self.subTest(dashboard=name):
                self.assertGreaterEqual(dash.get("schemaVersion", 0), 36)  # Grafana 9+
                self.assertNotIn(dash["uid"], uids)
                uids.add(dash["uid"])
                variables = {v["name"]: v for v in dash["templating"]["list"]}
                self.assertEqual(variables["datasource"]["type"], "datasource")
                self.assertEqual(variables["datasource"]["query"], "prometheus")
                self.assertIn("job", variables)
                ids = []

                def walk(panels):
                    for p in panels:
                        ids.append(p["id"])
                        self.assertIn("gridPos", p)
                        if p["type"] == "row":
                            walk(p.get("panels", []))
                        else:
                            self.assertEqual(p["datasource"]["uid"], "${datasource}", p["title"])
                            self.assertTrue(p.get("targets"), p["title"])

                walk(dash["panels"])
                self.assertEqual(len(ids), len(set(ids)), "duplicate panel ids")

    def test_prometheusrule_is_generated_from_rules_file(self):
        spec = importlib.util.spec_from_file_location("tern_metrics_generate",
                                                      os.path.join(METRICS_DIR, "generate.py"))
        gen = importlib.util.module_from_spec(spec)
        saved = sys.dont_write_bytecode
        sys.dont_write_bytecode = True
        try:
            spec.loader.exec_module(gen)
        finally:
            sys.dont_write_bytecode = saved
        with open(RULES_FILE, encoding="utf-8") as f:
            rules_text = f.read()
        with open(PROMETHEUS_RULE_FILE, encoding="utf-8") as f:
            committed = f.read()
        self.assertEqual(
            committed, gen.render(rules_text),
            "metrics/alerts/prometheusrule.yaml has drifted from metrics/alerts/tern-rules.yml:"
            " run `/usr/bin/python3 metrics/generate.py` and commit the result")
        doc = yaml.safe_load(committed)
        self.assertEqual(doc["apiVersion"], "monitoring.coreos.com/v1")
        self.assertEqual(doc["kind"], "PrometheusRule")
        self.assertEqual(doc["spec"]["groups"], yaml.safe_load(rules_text)["groups"])

    def test_alert_rules_are_complete(self):
        rules = alert_rules()
        names = [r["alert"] for _, r in rules if "alert" in r]
        self.assertEqual(len(names), len(set(names)), f"duplicate alert names: {names}")
        self.assertEqual(set(names), REQUIRED_ALERTS)
        for group, r in rules:
            with self.subTest(alert=r.get("alert"), group=group):
                self.assertIn(r.get("labels", {}).get("severity"), ("critical", "warning", "info"))
                self.assertTrue(r.get("annotations", {}).get("summary"))
                self.assertTrue(r.get("annotations", {}).get("description"))
                self.assertRegex(str(r.get("for", "")), r"^\d+[smh]$")
        exprs = {r["alert"]: r["expr"] for _, r in rules}
        self.assertIn("tern_active_controller", exprs["TernNoActiveController"])
        self.assertRegex(exprs["TernNoActiveController"], r"==\s*0\s*$")
        self.assertRegex(exprs["TernMultipleActiveControllers"], r">\s*1\s*$")
        self.assertIn("predict_linear(tern_log_dir_free_bytes", exprs["TernDiskWillFillIn4Hours"])
        self.assertIn('api="Produce"', exprs["TernProduceLatencyHigh"])
        self.assertIn("tern_request_duration_seconds_bucket", exprs["TernProduceLatencyHigh"])
        self.assertRegex(exprs["TernBrokerDown"], r'^up\{job="tern-broker"\}\s*==\s*0$')

    def test_promtool_check_rules(self):
        if not PROMTOOL:
            self.skipTest("promtool is not installed")
        r = subprocess.run([PROMTOOL, "check", "rules", RULES_FILE], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_promtool_check_local_config(self):
        if not PROMTOOL:
            self.skipTest("promtool is not installed")
        path = os.path.join(METRICS_DIR, "prometheus.yml")
        r = subprocess.run([PROMTOOL, "check", "config", path], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(path) as f:
            cfg = yaml.safe_load(f)
        self.assertEqual(cfg["rule_files"], ["alerts/tern-rules.yml"])
        jobs = {job["job_name"]: job for job in cfg["scrape_configs"]}
        # The job names the dashboards and alerts expect, at `make run`'s admin listener and
        # tern-operator's default --metrics-addr.
        expected = {"tern-broker": "127.0.0.1:9644", "tern-operator": "127.0.0.1:8080"}
        self.assertEqual(set(jobs), set(expected))
        for name, target in expected.items():
            self.assertEqual(jobs[name].get("metrics_path", "/metrics"), "/metrics")
            self.assertEqual(jobs[name]["static_configs"][0]["targets"], [target])

    def test_monitors(self):
        expected = {"tern-broker": ("broker", "admin"), "tern-operator": ("operator", "metrics")}
        for fname, kind, key in (("servicemonitor.yaml", "ServiceMonitor", "endpoints"),
                                 ("podmonitor.yaml", "PodMonitor", "podMetricsEndpoints")):
            with open(os.path.join(METRICS_DIR, "monitors", fname)) as f:
                docs = [d for d in yaml.safe_load_all(f) if d]
            self.assertEqual(sorted(d["metadata"]["name"] for d in docs), sorted(expected))
            for d in docs:
                with self.subTest(file=fname, name=d["metadata"]["name"]):
                    component, port = expected[d["metadata"]["name"]]
                    self.assertEqual(d["apiVersion"], "monitoring.coreos.com/v1")
                    self.assertEqual(d["kind"], kind)
                    self.assertEqual(d["spec"]["selector"]["matchLabels"],
                                     {"app.kubernetes.io/name": "tern",
                                      "app.kubernetes.io/component": component})
                    [ep] = d["spec"][key]
                    self.assertEqual(ep["port"], port)
                    self.assertEqual(ep["path"], "/metrics")
                    # The job label the rules and dashboards expect.
                    jobs = [r.get("replacement") for r in ep.get("relabelings", [])
                            if r.get("targetLabel") == "job"]
                    self.assertEqual(jobs, [d["metadata"]["name"]])


# ------------------------------------------------------------------------------ live scrapes
class ScrapeChecks:
    """Checks of one process's /metrics scrape (cls.metrics_text, cls.families) against the
    README's metrics table, the dashboards and the alert rules. A subclass sets PROCESS (what
    the messages call it), in_scope (which metrics are this process's) and OWN_DASHBOARDS."""

    PROCESS = None
    SCENARIO = None
    OWN_DASHBOARDS = ()
    in_scope = None

    def test_promtool_check_metrics(self):
        if not PROMTOOL:
            self.skipTest("promtool is not installed")
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=self.metrics_text,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_every_metric_has_help_and_is_in_readme(self):
        table = readme_metrics_table()
        ours = {name for name in table if self.in_scope(name)}
        self.assertTrue(ours, f"README's metrics tables have no rows for the {self.PROCESS}")
        for name, f in sorted(self.families.items()):
            with self.subTest(metric=name):
                self.assertTrue(f["help"] and f["help"].strip(), f"{name} has no HELP text")
                self.assertTrue(f["type"], f"{name} has no TYPE")
                self.assertTrue(name in table,
                                f"{name} is emitted but not in README's metrics tables")
                rtype, rlabels = table[name]
                self.assertEqual(rtype, f["type"], f"README says {name} is a {rtype}")
                if f["samples"]:
                    self.assertEqual(rlabels, f["labels"], f"README's labels of {name}")
        for name in sorted(ours):
            with self.subTest(readme_row=name):
                self.assertTrue(name in self.families,
                                f"README lists {name} but the {self.PROCESS} does not emit it "
                                f"({self.SCENARIO})")

    def test_dashboards_use_only_emitted_metrics(self):
        catalog = metric_catalog(self.families)
        problems = []
        checked = {}
        for path in DASHBOARDS:
            with open(path) as f:
                dash = json.load(f)
            name = os.path.basename(path)
            self.assertTrue(any(v.get("name") == "datasource" and v.get("type") == "datasource"
                                for v in dash["templating"]["list"]),
                            f"{name} has no datasource variable")
            for where, expr in dashboard_expressions(dash):
                if expr is None:
                    problems.append(f"{name}: {where} has no query")
                elif isinstance(expr, str):
                    problems.extend(f"{name}: " + p for p in check_expression(
                        catalog, where, expr, self.in_scope))
                    if any(self.in_scope(n) and n not in PROMETHEUS_BUILTINS
                           for n, _ in promql_parts(expr)[0]):
                        checked[name] = checked.get(name, 0) + 1
            self._check_datasources(name, dash.get("panels", []), problems)
        if problems:
            self.fail("dead dashboard panels:\n" + "\n".join(problems))
        for name in self.OWN_DASHBOARDS:
            self.assertGreater(checked.get(name, 0), 0,
                               f"no expression of {name} uses a metric of the {self.PROCESS}")

    def _check_datasources(self, name, panels, problems):
        for p in panels:
            if p.get("type") == "row":
                self._check_datasources(name, p.get("panels", []), problems)
                continue
            for ds in [p.get("datasource")] + [t.get("datasource") for t in p.get("targets", [])]:
                if ds is not None and ds.get("uid") != "${datasource}":
                    problems.append(f"{name}: panel {p.get('title')!r} uses datasource {ds}")

    def test_alerts_use_only_emitted_metrics(self):
        catalog = metric_catalog(self.families)
        problems = []
        checked = 0
        for _, r in alert_rules():
            problems.extend(check_expression(catalog, r.get("alert") or r.get("record"),
                                             r["expr"], self.in_scope))
            checked += any(self.in_scope(n) and n not in PROMETHEUS_BUILTINS
                           for n, _ in promql_parts(r["expr"])[0])
        if problems:
            self.fail("dead alert rules:\n" + "\n".join(problems))
        self.assertGreater(checked, 0, f"no alert uses a metric of the {self.PROCESS}")


class BrokerMetricsTest(ScrapeChecks, unittest.TestCase):
    """One broker with traffic and a consumer group; its /metrics checked several ways."""

    PROCESS = "broker"
    SCENARIO = "after traffic, a consumer group and metrics.partition.level=partition"
    OWN_DASHBOARDS = ("tern-cluster.json", "tern-consumer-groups.json", "tern-topics.json")
    in_scope = staticmethod(is_broker_metric)

    TOPIC = "metrics-static"
    GROUP = "metrics-static-group"

    @classmethod
    def setUpClass(cls):
        cls.broker = TernBroker(overrides={"metrics.partition.level": "partition"},
                                name="tern-metrics")
        cls.addClassCleanup(cls.broker.cleanup)
        cls.broker.start()
        try:
            from confluent_kafka import Producer, Consumer, TopicPartition
            create_topic(cls.broker, cls.TOPIC, partitions=2)
            p = Producer({"bootstrap.servers": cls.broker.bootstrap, "linger.ms": 5})
            for i in range(100):
                p.produce(cls.TOPIC, partition=i % 2, key=str(i).encode(), value=b"v" * 100)
            assert p.flush(15) == 0, "produce did not complete"
            # A group that read everything (fetch traffic) but committed 30 of 50 on each
            # partition: lag 20 + 20.
            c = Consumer({"bootstrap.servers": cls.broker.bootstrap, "group.id": cls.GROUP,
                          "auto.offset.reset": "earliest", "enable.auto.commit": False})
            try:
                c.subscribe([cls.TOPIC])
                got = 0
                deadline = time.monotonic() + 30
                while got < 100 and time.monotonic() < deadline:
                    m = c.poll(0.5)
                    if m is not None and not m.error():
                        got += 1
                assert got == 100, f"consumed only {got} records"
                c.commit(offsets=[TopicPartition(cls.TOPIC, 0, 30),
                                  TopicPartition(cls.TOPIC, 1, 30)], asynchronous=False)
            finally:
                c.close()
            status, _, cls.metrics_text = http_get(cls.broker.admin_url + "/metrics")
            assert status == 200, f"/metrics returned {status}"
        except BaseException:
            print(f"\n===== broker log =====\n{cls.broker.all_logs()[-20000:]}")
            raise
        cls.families = parse_exposition(cls.metrics_text)

    def test_healthz_and_readyz(self):
        status, ctype, body = http_get(self.broker.admin_url + "/healthz")
        self.assertEqual(status, 200, body)
        self.assertIn("application/json", ctype)
        self.assertIsInstance(json.loads(body), dict)
        status, ctype, body = http_get(self.broker.admin_url + "/readyz")
        self.assertEqual(status, 200, body)
        self.assertIn("application/json", ctype)
        doc = json.loads(body)
        self.assertIs(doc.get("ready"), True, body)
        self.assertIsInstance(doc.get("reason"), str, body)
        self.assertTrue(doc["reason"].strip(), f"/readyz does not say why: {body}")

    def test_key_series_after_traffic(self):
        def value(name, **labels):
            for f in self.families.values():
                for sname, lab, v in f["samples"]:
                    if sname == name and all(lab.get(k) == val for k, val in labels.items()):
                        return v
            return None

        self.assertEqual(value("tern_topic_records_in_total", topic=self.TOPIC), 100)
        self.assertEqual(value("tern_topic_partitions", topic=self.TOPIC), 2)
        self.assertEqual(value("tern_topic_log_end_offset", topic=self.TOPIC), 100)
        self.assertEqual(value("tern_consumer_group_lag", group=self.GROUP, topic=self.TOPIC), 40)
        lags = [v for n, lab, v in self.families["tern_consumer_group_partition_lag"]["samples"]
                if lab.get("group") == self.GROUP]
        self.assertEqual(sum(lags), 40)
        self.assertEqual(value("tern_consumer_group_members", group=self.GROUP), 0)
        self.assertEqual(value("tern_consumer_group_state", group=self.GROUP, state="Empty"), 1)
        self.assertEqual(value("tern_active_controller"), 1)
        self.assertGreater(value("tern_requests_total", api="Produce") or 0, 0)
        self.assertGreater(value("tern_request_duration_seconds_count", api="Produce") or 0, 0)

    def test_expression_checker_catches_mistakes(self):
        # The checks above are only as good as this parser: make sure it bites.
        catalog = metric_catalog(self.families)
        good = ('histogram_quantile(0.99, sum by (api, le) '
                '(rate(tern_request_duration_seconds_bucket{job=~"$job", api="Produce"}'
                '[$__rate_interval])))')
        self.assertEqual(check_expression(catalog, "x", good, is_broker_metric), [])
        # The operator's metrics are checked against the operator's scrape, not here.
        self.assertEqual(check_expression(
            catalog, "x", 'sum by (controller, result) (rate(tern_operator_reconcile_total'
                          '{result="error"}[5m])) > 0', is_broker_metric), [])
        for bad in ['rate(tern_topic_byte_in_total[5m])',
                    'sum by (topic) (rate(tern_requests_total[5m]))',
                    'tern_requests_total{topic="x"}',
                    'tern_request_duration_seconds_count{api="Produc"}',
                    'tern_connections_bucket',
                    'kafka_server_brokertopicmetrics_messagesin_total',
                    'tern_active_controller + on() tern_operator_leader',
                    'time()']:
            with self.subTest(expr=bad):
                self.assertNotEqual(check_expression(catalog, "x", bad, is_broker_metric), [])


class OperatorMetricsTest(ScrapeChecks, unittest.TestCase):
    """A tern-operator against the Kubernetes API double (TernOperator.create_objects: results
    success, requeue and error), then an API server restart (watch restarts); its /metrics
    checked the same ways as the broker's."""

    PROCESS = "operator"
    SCENARIO = "with a Cluster, a Topic whose deletion keeps failing and an API server restart"
    OWN_DASHBOARDS = ("tern-operator.json",)
    in_scope = staticmethod(is_operator_metric)

    @classmethod
    def setUpClass(cls):
        cls.operator = TernOperator()
        cls.addClassCleanup(cls.operator.cleanup)
        try:
            cls.operator.start_api()
            cls.operator.start_operator()
            cls.operator.create_objects()
            expected = {("cluster", "requeue"), ("topic", "success"), ("topic", "error")}
            cls.operator.wait_for(lambda f: expected <= reconcile_results(f),
                                  f"reconcile results {sorted(expected)}")
            cls.operator.restart_api()
            cls.metrics_text = cls.operator.wait_for(
                lambda f: {"clusters", "topics"} <= {
                    lab.get("resource") for lab in counted(f, "tern_operator_watch_restarts_total")},
                "watch restarts of clusters and topics after the API server restart")
        except BaseException:
            print(f"\n===== tern-operator logs =====\n{cls.operator.logs()[-20000:]}")
            raise
        cls.families = parse_exposition(cls.metrics_text)

    def test_healthz_and_readyz(self):
        status, ctype, body = http_get(self.operator.metrics_url + "/healthz")
        self.assertEqual(status, 200, body)
        self.assertIn("application/json", ctype)
        self.assertEqual(json.loads(body), {"status": "ok"})
        # Caches synced again after the API server restart.
        status, ctype, body = http_get(self.operator.metrics_url + "/readyz")
        self.assertEqual(status, 200, body)
        self.assertIn("application/json", ctype)
        self.assertIs(json.loads(body).get("ready"), True, body)
        self.assertEqual(http_get(self.operator.metrics_url + "/nothing")[0], 404)

    def test_key_series(self):
        f = self.families
        self.assertEqual({n for n in f if not is_operator_metric(n)}, set(),
                         "the operator emits metrics other than tern_operator_*")
        self.assertEqual({c for c, _ in reconcile_results(f)}, {"cluster", "topic"})
        self.assertLessEqual({r for _, r in reconcile_results(f)}, OPERATOR_RESULTS)
        for name in ("tern_operator_reconcile_duration_seconds_count",
                     "tern_operator_queue_depth"):
            with self.subTest(metric=name):
                self.assertEqual(sorted(lab.get("controller") for lab in series(f, name)),
                                 ["cluster", "topic"])
        self.assertEqual([v for n, _, v in f["tern_operator_leader"]["samples"]], [1.0],
                         "without --leader-elect the operator always leads")
        # Every reconcile is timed: +Inf bucket == count, and count == reconciles (give or take
        # one per worker in flight between the two increments).
        samples = f["tern_operator_reconcile_duration_seconds"]["samples"]
        for controller in ("cluster", "topic"):
            with self.subTest(controller=controller):
                count = [v for n, lab, v in samples if n.endswith("_count")
                         and lab["controller"] == controller]
                inf = [v for n, lab, v in samples if n.endswith("_bucket")
                       and lab["controller"] == controller and lab.get("le") == "+Inf"]
                total = sum(v for n, lab, v in f["tern_operator_reconcile_total"]["samples"]
                            if lab["controller"] == controller)
                self.assertEqual(len(count), 1)
                self.assertEqual(inf, count)
                self.assertGreaterEqual(total, count[0])
                self.assertLessEqual(total - count[0], 2)

    def test_expression_checker_catches_mistakes(self):
        catalog = metric_catalog(self.families)
        for good in [r["expr"] for _, r in alert_rules()
                     if r.get("alert") == "TernOperatorReconcileErrors"] + [
                'histogram_quantile(0.99, sum by (controller, le) (rate('
                'tern_operator_reconcile_duration_seconds_bucket{controller=~"$controller"}'
                '[$__rate_interval])))',
                # The broker's metrics are checked against the broker's scrape, not here.
                'sum by (topic) (rate(tern_topic_records_in_total[5m]))']:
            with self.subTest(good=good):
                self.assertEqual(check_expression(catalog, "x", good, is_operator_metric), [])
        for bad in ['rate(tern_operator_reconciles_total[5m])',
                    'tern_operator_reconcile_total{result="failure"}',
                    'tern_operator_reconcile_total{controller="clusters"}',
                    'sum by (resource) (tern_operator_queue_depth)',
                    'tern_operator_queue_depth{resource="topics"}',
                    'tern_operator_leader_bucket',
                    'tern_operator_leader * on() tern_active_controller']:
            with self.subTest(bad=bad):
                self.assertNotEqual(check_expression(catalog, "x", bad, is_operator_metric), [])


# ------------------------------------------------------------------------------ Prometheus
class PrometheusTest(BrokerTestCase):
    TOPIC = "metrics-e2e"
    GROUP = "metrics-e2e-group"

    def test_prometheus_scrapes_broker_and_operator_and_loads_rules(self):
        from confluent_kafka import Producer, Consumer
        # The operator first: its failing Topic deletion needs ~30 s (three Kafka timeouts) to
        # make the error counter move (TernOperatorReconcileErrors), while the broker part runs.
        operator = TernOperator()
        self.addCleanup(operator.cleanup)
        self.addCleanup(self._dump_logs_on_failure, "tern-operator logs", operator.logs)
        operator.start_api()
        operator.start_operator()
        operator.create_objects()
        broker = self.start_broker()
        prom = Prometheus({"tern-broker": urllib.parse.urlparse(broker.admin_url).netloc,
                           "tern-operator": urllib.parse.urlparse(operator.metrics_url).netloc},
                          [RULES_FILE])
        self.addCleanup(prom.cleanup)
        self.addCleanup(self._dump_logs_on_failure, "prometheus log", prom.log)
        prom.start()

        create_topic(broker, self.TOPIC)
        producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5})

        def produce(n):
            for i in range(n):
                producer.produce(self.TOPIC, key=str(i).encode(), value=b"x" * 50)
            self.assertEqual(producer.flush(15), 0)

        records_in = f'tern_topic_records_in_total{{job="tern-broker", topic="{self.TOPIC}"}}'
        produce(100)
        # The first scrape comes a few seconds after Prometheus starts.
        prom.wait_for(records_in, lambda r: single_value(r) == 100, "records_in == 100")
        self.assertEqual(single_value(prom.query('up{job="tern-broker"}')), 1)
        produce(100)
        prom.wait_for(records_in, lambda r: single_value(r) == 200, "records_in 100 -> 200")
        prom.wait_for(f"increase({records_in}[1m])", lambda r: (single_value(r) or 0) > 0,
                      "increase(records_in) > 0")

        # A consumer group half way through: lag > 0, then 0 once it has read everything.
        lag = (f'tern_consumer_group_lag{{job="tern-broker", group="{self.GROUP}", '
               f'topic="{self.TOPIC}"}}')
        consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": self.GROUP,
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        closed = False
        try:
            consumer.subscribe([self.TOPIC])

            def consume(n):
                got = 0
                deadline = time.monotonic() + 30
                while got < n and time.monotonic() < deadline:
                    m = consumer.poll(0.5)
                    if m is not None and not m.error():
                        got += 1
                self.assertEqual(got, n, "consumer did not get the records")
                consumer.commit(asynchronous=False)

            consume(50)
            prom.wait_for(lag, lambda r: (single_value(r) or 0) > 0, "consumer lag > 0")
            self.assertEqual(single_value(prom.query(lag)), 150)
            prom.wait_for(f'tern_consumer_group_members{{group="{self.GROUP}"}}',
                          lambda r: single_value(r) == 1, "group members == 1")
            prom.wait_for(f'tern_consumer_group_state{{group="{self.GROUP}", state="Stable"}}',
                          lambda r: single_value(r) == 1, "group state Stable")
            consume(150)
            prom.wait_for(lag, lambda r: single_value(r) == 0, "consumer lag back to 0")
            consumer.close()
            closed = True
            prom.wait_for(f'tern_consumer_group_members{{group="{self.GROUP}"}}',
                          lambda r: single_value(r) == 0, "group members == 0 after close")
        finally:
            if not closed:
                consumer.close()

        # Rules loaded and evaluating without errors.
        deadline = time.monotonic() + 15
        while True:
            groups = prom.api("rules")["groups"]
            rules = [r for g in groups for r in g["rules"]]
            pending = [r["name"] for r in rules
                       if r.get("health") != "ok" or r.get("lastEvaluation", "").startswith("0001")]
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        names = {r["name"] for r in rules if r.get("type") == "alerting"}
        self.assertEqual(names, REQUIRED_ALERTS)
        bad = {r["name"]: (r.get("health"), r.get("lastError")) for r in rules
               if r.get("health") != "ok"}
        self.assertEqual(bad, {}, "rules that do not evaluate cleanly")

        # The operator, scraped as job tern-operator.
        prom.wait_for('sum by (controller, result) (tern_operator_reconcile_total'
                      '{job="tern-operator"})',
                      lambda r: {(lab.get("controller"), lab.get("result")) for lab, _ in r}
                      >= {("cluster", "requeue"), ("topic", "error")},
                      "cluster requeues and topic errors", timeout=45)
        self.assertEqual(single_value(prom.query('up{job="tern-operator"}')), 1)
        self.assertEqual(single_value(prom.query('tern_operator_leader{job="tern-operator"}')), 1)
        # The operator dashboard's variables find it.
        with open(os.path.join(METRICS_DIR, "dashboards", "tern-operator.json")) as f:
            variables = dict(dashboard_expressions(json.load(f)))
        for var, label, want in (("job", "job", {"tern-operator"}),
                                 ("controller", "controller", {"cluster", "topic"})):
            with self.subTest(variable=var):
                got = prom.query(grafana_to_promql(variables[f"variable ${var}"]))
                self.assertEqual({lab.get(label) for lab, _ in got}, want)
        # The Topic whose deletion keeps failing: the error rate stays above 0, so
        # TernOperatorReconcileErrors goes pending (its for: is 15m: it cannot fire here).
        rule = next(r for g in prom.api("rules")["groups"] for r in g["rules"]
                    if r["name"] == "TernOperatorReconcileErrors")
        self.assertEqual(rule["health"], "ok", rule)
        self.assertIn(rule["state"], ("inactive", "pending"), rule)
        prom.wait_for('ALERTS{alertname="TernOperatorReconcileErrors"}',
                      lambda r: [(lab.get("alertstate"), lab.get("controller")) for lab, _ in r]
                      == [("pending", "topic")],
                      "TernOperatorReconcileErrors pending for the topic controller",
                      timeout=45)
        rule = next(r for g in prom.api("rules")["groups"] for r in g["rules"]
                    if r["name"] == "TernOperatorReconcileErrors")
        self.assertEqual((rule["health"], rule["state"]), ("ok", "pending"), rule)
        self.assertEqual([(a["labels"].get("controller"), a["labels"].get("severity"))
                          for a in rule["alerts"]], [("topic", "warning")], rule)
        alerts = [a for a in prom.api("alerts")["alerts"]
                  if a["labels"].get("alertname") == "TernOperatorReconcileErrors"]
        self.assertEqual([a["state"] for a in alerts], ["pending"], alerts)

        # A healthy single broker trips none of these.
        by_name = {r["alert"]: r for _, r in alert_rules()}
        for name in HEALTHY_QUIET_ALERTS:
            with self.subTest(quiet_alert=name):
                self.assertEqual(prom.query(by_name[name]["expr"]), [],
                                 f"{name}'s expression fires on a healthy broker")

        # Every dashboard expression is valid PromQL (Grafana variables substituted).
        errors = []
        for path in DASHBOARDS:
            with open(path) as f:
                dash = json.load(f)
            for where, expr in dashboard_expressions(dash):
                if not isinstance(expr, str):
                    continue
                try:
                    prom.query(grafana_to_promql(expr))
                except AssertionError as e:
                    errors.append(f"{os.path.basename(path)} {where}: {e}")
        if errors:
            self.fail("dashboard expressions Prometheus rejects:\n" + "\n".join(errors))

        # A stopped broker: up drops to 0 and TernBrokerDown goes pending.
        del producer
        broker.stop()
        prom.wait_for('up{job="tern-broker"}', lambda r: single_value(r) == 0, "up == 0")
        prom.wait_for('ALERTS{alertname="TernBrokerDown"}',
                      lambda r: any(lab.get("alertstate") in ("pending", "firing")
                                    for lab, _ in r),
                      "TernBrokerDown pending", timeout=15)

    def _dump_logs_on_failure(self, what, logs):
        result = getattr(getattr(self, "_outcome", None), "result", None)
        if result is None:
            return
        recorded = list(getattr(result, "failures", [])) + list(getattr(result, "errors", []))
        if any(getattr(t, "test_case", t) is self for t, _ in recorded):
            print(f"\n===== {what}, last 5000 chars =====\n{logs()[-5000:]}\n=====")


if __name__ == "__main__":
    unittest.main()
