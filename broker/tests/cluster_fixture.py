"""A real etcd and several tern-broker processes forming one cluster, for cluster-mode tests.

etcd (Debian's etcd-server) runs on free loopback ports with its data in a temporary folder;
each broker has its own data folder, node id and ports. Everything is stopped by PID.
Timeouts are short so that failures are detected in seconds: a 2 s etcd session, 0.5 s
heartbeats and a 3 s replica lag limit.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

from tern_fixture import TernBroker, free_port

FAST_CLUSTER = {
    "broker.session.timeout.ms": "2000",
    "broker.heartbeat.interval.ms": "500",
    "metadata.poll.interval.ms": "50",
    "replica.lag.time.max.ms": "3000",
    "replica.fetch.wait.max.ms": "200",
    "replica.socket.timeout.ms": "5000",
    "leader.imbalance.check.interval.seconds": "5",
    "default.replication.factor": "3",
    "offsets.topic.replication.factor": "3",
    "group.initial.rebalance.delay.ms": "0",
}


class Etcd:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tern-etcd-")
        self.client_port, self.peer_port = free_port(), free_port()
        self.endpoint = f"127.0.0.1:{self.client_port}"
        self.proc = None
        self.start()

    def start(self):
        client = f"http://{self.endpoint}"
        peer = f"http://127.0.0.1:{self.peer_port}"
        self.log = open(os.path.join(self.dir, "etcd.log"), "a")
        self.proc = subprocess.Popen(
            ["etcd", "--name=t", f"--data-dir={self.dir}/data",
             f"--listen-client-urls={client}", f"--advertise-client-urls={client}",
             f"--listen-peer-urls={peer}", f"--initial-advertise-peer-urls={peer}",
             f"--initial-cluster=t={peer}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{client}/health", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("etcd did not start")

    def halt(self):
        """Stops etcd (SIGTERM by PID) but keeps its data, so start() brings it back."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)
        self.log.close()

    def stop(self):
        self.halt()
        shutil.rmtree(self.dir, ignore_errors=True)


class TernCluster:
    """etcd plus `size` brokers with node ids 1..size."""

    def __init__(self, size=3, overrides=None, prefix="/tern-test", keep_ports=False):
        """keep_ports: restarted brokers listen where they did before (see TernBroker)."""
        self.etcd = Etcd()
        self.keep_ports = keep_ports
        self.common = dict(FAST_CLUSTER)
        self.common.update({"metadata.store": f"etcd://{self.etcd.endpoint}",
                            "metadata.store.prefix": prefix})
        self.common.update(overrides or {})
        self.brokers = {}
        try:
            for node in range(1, size + 1):
                self.add_broker(node)
            for b in self.brokers.values():
                wait_until(lambda: len(broker_ids(b.bootstrap)) == size, 15,
                           f"{b.bootstrap} sees {size} brokers")
        except Exception:
            self.stop()
            raise

    def add_broker(self, node, overrides=None):
        o = dict(self.common)
        o["node.id"] = str(node)
        o.update(overrides or {})
        b = TernBroker(overrides=o, name=f"tern{node}", keep_port=self.keep_ports)
        b.start()
        self.brokers[node] = b
        return b

    @property
    def bootstrap(self):
        return ",".join(b.bootstrap for b in self.brokers.values() if b.running)

    def any_running(self):
        return next(b for b in self.brokers.values() if b.running)

    def admin(self, node):
        return self.brokers[node].admin_url

    def health(self, node):
        with urllib.request.urlopen(self.brokers[node].admin_url + "/v1/cluster", timeout=5) as r:
            return json.loads(r.read())

    def stop(self):
        for b in self.brokers.values():
            try:
                b.stop() if b.running else None
            except AssertionError:
                pass
            b.cleanup()
        self.etcd.stop()


def wait_until(predicate, timeout, what, interval=0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # a broker restarting refuses connections for a moment
            last = e
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout}s (last: {last!r})")


def broker_ids(bootstrap):
    from confluent_kafka.admin import AdminClient
    return sorted(AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=5).brokers)


def partition_info(bootstrap, topic, timeout=10):
    """{partition: (leader, replicas, isrs)} from Metadata (confluent_kafka)."""
    from confluent_kafka.admin import AdminClient
    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic=topic, timeout=timeout)
    t = md.topics[topic]
    if t.error is not None:
        raise AssertionError(f"{topic}: {t.error}")
    return {p: (m.leader, list(m.replicas), list(m.isrs)) for p, m in t.partitions.items()}
