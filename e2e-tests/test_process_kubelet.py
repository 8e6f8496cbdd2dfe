"""Unit tests of the process kubelet's pure parts: $(VAR) expansion, mount-path and address
rewriting, label selectors, the /etc/hosts block (on a temporary file), probe thresholds."""

import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import process_kubelet as pk  # noqa: E402


class ExpandVarsTest(unittest.TestCase):
    def test_kubelet_rules(self):
        env = {"POD_NAME": "tern-0", "NS": "default"}
        self.assertEqual(pk.expand_vars("--name=$(POD_NAME).x.$(NS)", env),
                         "--name=tern-0.x.default")
        self.assertEqual(pk.expand_vars("$$(POD_NAME) $(UNKNOWN) ${POD_NAME}", env),
                         "$(POD_NAME) $(UNKNOWN) ${POD_NAME}")


class RewriteTest(unittest.TestCase):
    def test_mount_paths_and_address(self):
        r = pk.make_rewriter([("/tmp", "/tmp/k/pod/volumes/tmp"),
                              ("/etc/tern/config", "/tmp/k/pod/volumes/config"),
                              ("/var/lib/tern", "/tmp/k/pvcs/data-tern-0")], "127.0.1.7")
        self.assertEqual(r("--config /etc/tern/config/broker.yaml"),
                         "--config /tmp/k/pod/volumes/config/broker.yaml")
        # A replacement is not rewritten again although it starts with the /tmp mount.
        self.assertEqual(r('log.dirs: "/var/lib/tern/data"'),
                         'log.dirs: "/tmp/k/pvcs/data-tern-0/data"')
        self.assertEqual(r("/tmp"), "/tmp/k/pod/volumes/tmp")
        # Only whole path components.
        self.assertEqual(r("/tmpfoo /x/tmp /var/lib/ternx"), "/tmpfoo /x/tmp /var/lib/ternx")
        self.assertEqual(r("PLAINTEXT://0.0.0.0:9092"), "PLAINTEXT://127.0.1.7:9092")

    def test_no_mounts(self):
        self.assertEqual(pk.make_rewriter([], "127.0.1.2")("http://0.0.0.0:1 /tmp"),
                         "http://127.0.1.2:1 /tmp")


class SelectorTest(unittest.TestCase):
    def test_forms(self):
        labels = {"app": "tern", "component": "broker"}
        self.assertTrue(pk.labels_match({"app": "tern"}, labels))
        self.assertFalse(pk.labels_match({"app": "etcd"}, labels))
        self.assertFalse(pk.labels_match({}, labels))
        self.assertTrue(pk.labels_match({"matchLabels": {"app": "tern"}, "matchExpressions": [
            {"key": "component", "operator": "In", "values": ["broker"]}]}, labels))
        self.assertFalse(pk.labels_match({"matchExpressions": [
            {"key": "component", "operator": "NotIn", "values": ["broker"]}]}, labels))
        self.assertFalse(pk.labels_match({"matchExpressions": [
            {"key": "zone", "operator": "Exists"}]}, labels))


class HostsTest(unittest.TestCase):
    def setUp(self):
        fd, self.path = tempfile.mkstemp()
        os.close(fd)
        with open(self.path, "w") as f:
            f.write("127.0.0.1 localhost\n")
        self.addCleanup(os.unlink, self.path)

    def read(self):
        with open(self.path) as f:
            return f.read()

    def test_block_written_replaced_removed(self):
        pk.write_hosts({"a.svc": "127.0.1.1", "b.svc": "127.0.1.1", "c.svc": "127.0.1.2"},
                       self.path)
        text = self.read()
        self.assertTrue(text.startswith("127.0.0.1 localhost\n"))
        self.assertIn("127.0.1.1 a.svc b.svc\n", text)
        self.assertIn("127.0.1.2 c.svc\n", text)
        pk.write_hosts({"c.svc": "127.0.1.3"}, self.path)
        text = self.read()
        self.assertEqual(text.count(pk.HOSTS_BEGIN), 1)
        self.assertNotIn("a.svc", text)
        pk.write_hosts(None, self.path)
        self.assertEqual(self.read(), "127.0.0.1 localhost\n")

    def test_block_of_a_dead_kubelet_is_removed_and_a_live_one_kept(self):
        dead = subprocess.Popen(["true"])
        dead.wait()
        with open(self.path, "a") as f:
            f.write(f"{pk.HOSTS_BEGIN}{dead.pid} (x)\n127.0.1.9 old.svc\n{pk.HOSTS_END}\n")
            f.write(f"{pk.HOSTS_BEGIN}1 (init is alive)\n127.0.1.8 other.svc\n{pk.HOSTS_END}\n")
        pk.write_hosts({"new.svc": "127.0.1.1"}, self.path)
        text = self.read()
        self.assertNotIn("old.svc", text)
        self.assertIn("other.svc", text)
        self.assertIn("new.svc", text)


class ProberTest(unittest.TestCase):
    def test_thresholds_and_scaled_period(self):
        p = pk.Prober({"periodSeconds": 10, "failureThreshold": 3, "successThreshold": 1},
                      0.2, False)
        self.assertEqual(p.period, 2.0)
        self.assertTrue(p.due(100.0, 100.0))
        self.assertTrue(p.record(True, 100.0))
        self.assertFalse(p.due(101.0, 100.0))
        self.assertTrue(p.record(False, 102.0))
        self.assertTrue(p.record(False, 104.0))
        self.assertFalse(p.record(False, 106.0))
        self.assertEqual(pk.Prober({"periodSeconds": 1}, 0.2, True).period, 0.5)


if __name__ == "__main__":
    unittest.main()
