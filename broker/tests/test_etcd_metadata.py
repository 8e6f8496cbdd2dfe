"""metadata.store=etcd://: brokers share topics through a real etcd.

A real etcd (Debian's etcd-server) runs on free loopback ports with its data in a temporary
folder and is stopped by PID. Two brokers with separate data folders use it: a topic created
through one is known to the other, survives both brokers' restarts, and a bad etcd address
stops the broker with a clear message.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

from tern_fixture import BrokerStartError, BrokerTestCase, TernBroker, create_topic, free_port


class Etcd:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tern-etcd-")
        self.client_port, self.peer_port = free_port(), free_port()
        self.endpoint = f"127.0.0.1:{self.client_port}"
        client = f"http://{self.endpoint}"
        peer = f"http://127.0.0.1:{self.peer_port}"
        self.log = open(os.path.join(self.dir, "etcd.log"), "w")
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

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def topic_names(broker):
    out = subprocess.run([os.path.join(os.path.dirname(broker.binary), "tern"), "topics",
                          "--list", "--bootstrap-server", broker.bootstrap],
                         capture_output=True, text=True, timeout=30)
    return set(out.stdout.split())


class EtcdMetadataTest(BrokerTestCase):
    def setUp(self):
        self.etcd = Etcd()
        self.addCleanup(self.etcd.stop)
        self.store = {"metadata.store": f"etcd://{self.etcd.endpoint}",
                      "metadata.store.prefix": "/tern-test"}

    def test_brokers_share_topics_through_etcd(self):
        a = self.start_broker(overrides=dict(self.store, **{"node.id": "1"}))
        create_topic(a, "shared-orders", 3, config={"retention.ms": "3600000"})
        b = self.start_broker(overrides=dict(self.store, **{"node.id": "2"}))
        self.assertIn("shared-orders", topic_names(b))
        # Both restart: the topic lives in etcd, not in either data folder.
        a.stop()
        b.stop()
        c = self.start_broker(overrides=dict(self.store, **{"node.id": "3"}))
        self.assertIn("shared-orders", topic_names(c))
        self.assertTrue(os.path.isdir(os.path.join(c.data_dir, "shared-orders-2")))

    def test_unreachable_etcd_stops_the_broker_with_a_message(self):
        b = TernBroker(overrides={"metadata.store": f"etcd://127.0.0.1:{free_port()}"},
                       ready_timeout=20)
        self.addCleanup(b.cleanup)
        with self.assertRaises(BrokerStartError):
            b.start()
        self.assertIn("metadata.store: etcd unreachable", b.all_logs())


if __name__ == "__main__":
    unittest.main()
