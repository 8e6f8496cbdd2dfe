#!/usr/bin/env python3
"""tern-operator at scale against the Kubernetes API test double and one real broker: how long
N Clusters take to have every object built and their status written, how long M Topics take to
be Ready (created in the broker), and the operator's resident memory before and after.

  python3 bench/operator_scale.py [clusters] [topics]     (TERN_BIN_DIR: default build/bin)

Prints one Markdown table. The double keeps everything in memory on this machine too, so the
numbers are the operator and the double together, on the same 2 cores.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "broker", "tests"))
os.environ.setdefault("TERN_BIN_DIR", os.path.join(root, "build", "bin"))
bin_dir = os.environ["TERN_BIN_DIR"]

from tern_fixture import TernBroker, free_port  # noqa: E402


def start(args, log_path, ready_pattern):
    log = open(log_path, "wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERN_")}
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open(log_path, errors="replace") as f:
            m = re.search(ready_pattern, f.read())
        if m:
            return proc, m
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{args[0]} did not start; see {log_path}")


def api(base, method, path, body=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def wait_all(base, plural, names, ready, limit=600):
    pending = set(names)
    started = time.monotonic()
    while pending and time.monotonic() - started < limit:
        items = api(base, "GET", f"/apis/tern.dev/v1alpha1/namespaces/default/{plural}")["items"]
        for item in items:
            if ready(item):
                pending.discard(item["metadata"]["name"])
        time.sleep(0.1)
    if pending:
        raise RuntimeError(f"{len(pending)} {plural} never got there")
    return time.monotonic() - started


def condition(item, kind):
    for c in item.get("status", {}).get("conditions", []):
        if c["type"] == kind:
            return c["status"] + "/" + c["reason"]
    return ""


def main():
    clusters = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    topics = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    work = tempfile.mkdtemp(prefix="tern-operator-bench-")
    crds = [os.path.join(root, "charts/tern/crds", f) for f in
            ("tern.dev_clusters.yaml", "tern.dev_topics.yaml")]
    double, m = start([os.path.join(bin_dir, "tern-kube-double")] +
                      sum((["--crd", c] for c in crds), []),
                      os.path.join(work, "double.log"), r"ready: (http://\S+)")
    base = m.group(1)
    kubeconfig = os.path.join(work, "kubeconfig")
    with open(kubeconfig, "w") as f:
        f.write(f"apiVersion: v1\nkind: Config\nclusters:\n- name: b\n  cluster:\n"
                f"    server: {base}\nusers:\n- name: u\n  user: {{}}\ncontexts:\n"
                f"- name: c\n  context:\n    cluster: b\n    user: u\ncurrent-context: c\n")
    # The broker the Topics' Cluster "bench" stands for, at the addresses the operator derives
    # from the Cluster: bench-bootstrap.default.svc:9092 and bench-0.bench-brokers...:9644.
    broker = TernBroker(overrides={"auto.create.topics.enable": "false",
                                   "listeners": "PLAINTEXT://127.0.2.1:9092",
                                   "admin.listeners": "http://127.0.2.1:9644"}).start()
    # The operator reaches clusters by Service DNS names; map the one Cluster the topics use
    # to the local broker.
    operator, _ = start([os.path.join(bin_dir, "tern-operator"), "--kubeconfig", kubeconfig,
                         "--metrics-addr", f"127.0.0.1:{free_port()}"],
                        os.path.join(work, "operator.log"), r"tern-operator ready")
    hosts_line = "127.0.2.1 bench-bootstrap.default.svc bench-0.bench-brokers.default.svc\n"
    try:
        idle = rss_mib(operator.pid)
        t0 = time.monotonic()
        for i in range(clusters):
            api(base, "POST", "/apis/tern.dev/v1alpha1/namespaces/default/clusters",
                {"apiVersion": "tern.dev/v1alpha1", "kind": "Cluster",
                 "metadata": {"name": f"c{i}"}, "spec": {"replicas": 3}})
        created = time.monotonic() - t0
        built = wait_all(base, "clusters", [f"c{i}" for i in range(clusters)],
                         lambda c: condition(c, "Ready") == "False/BrokersNotReady")
        after_clusters = rss_mib(operator.pid)
        print(f"| {clusters} Clusters: objects built and status written | "
              f"{created + built:.1f} s ({(created + built) / clusters * 1000:.0f} ms each) |")
        print(f"| operator RSS idle / after {clusters} Clusters | {idle:.1f} MiB / "
              f"{after_clusters:.1f} MiB |")
        if topics and os.geteuid() == 0:
            with open("/etc/hosts", "a") as f:
                f.write(hosts_line)
            api(base, "POST", "/apis/tern.dev/v1alpha1/namespaces/default/clusters",
                {"apiVersion": "tern.dev/v1alpha1", "kind": "Cluster",
                 "metadata": {"name": "bench"},
                 "spec": {"replicas": 1, "metadataStore": {"type": "embedded"}}})
            t0 = time.monotonic()
            for i in range(topics):
                api(base, "POST", "/apis/tern.dev/v1alpha1/namespaces/default/topics",
                    {"apiVersion": "tern.dev/v1alpha1", "kind": "Topic",
                     "metadata": {"name": f"t{i}"},
                     "spec": {"clusterRef": {"name": "bench"}, "partitions": 3,
                              "replicationFactor": 1}})
            ready = wait_all(base, "topics", [f"t{i}" for i in range(topics)],
                             lambda t: condition(t, "Ready") == "True/Ready")
            total = time.monotonic() - t0
            print(f"| {topics} Topics (3 partitions each) created in the broker and Ready | "
                  f"{total:.1f} s ({total / topics * 1000:.0f} ms each) |")
            print(f"| operator RSS after the Topics | {rss_mib(operator.pid):.1f} MiB |")
    finally:
        if os.geteuid() == 0:
            with open("/etc/hosts") as f:
                lines = [line for line in f if line != hosts_line]
            with open("/etc/hosts", "w") as f:
                f.writelines(lines)
        for proc in (operator, double):
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        broker.cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
