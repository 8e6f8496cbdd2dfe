"""Test fixture: start a real tern-broker on 127.0.0.1 with port 0 and stop it by PID.

Usage:
    broker = TernBroker(overrides={"num.partitions": "3"})
    broker.start()              # waits for the "tern-broker ready" line
    ... broker.bootstrap ...    # "127.0.0.1:<port>"
    broker.kill()               # SIGKILL (crash test) or broker.stop() for SIGTERM
    broker.start()              # restart on the same data dir (new port)
    broker.cleanup()            # stop if running, delete temp dirs it created

The binary is found through $TERN_BIN_DIR (default: <repo>/build/bin).
"""

import os
import re
import signal
import socket
import subprocess
import tempfile
import shutil
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))

READY_RE = re.compile(
    r"tern-broker ready: .*?kafka=(?P<khost>[^\s:]+):(?P<kport>\d+)"
    r"(?:.*?advertised=(?P<adv>\S+))?"
    r"(?:.*?admin=(?P<admin>\S+))?")


def broker_binary():
    bin_dir = os.environ.get("TERN_BIN_DIR", os.path.join(REPO, "build", "bin"))
    path = os.path.join(bin_dir, "tern-broker")
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"tern-broker binary not found at {path} (set TERN_BIN_DIR)")
    return path


def free_port():
    """A port that was free a moment ago (prefer binding a listener you keep open)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BrokerStartError(AssertionError):
    pass


def describe_exit(rc):
    """'exit code 1' or 'killed by SIGPIPE' for a Popen return code."""
    if rc is None:
        return "still running"
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit code {rc}"


class TernBroker:
    def __init__(self, overrides=None, data_dir=None, ready_timeout=30.0, name="tern",
                 keep_port=False):
        """keep_port: a restart listens on the port of the first start, as a Kubernetes pod
        keeps its address (clients then reconnect to the same place)."""
        self.binary = broker_binary()
        self.keep_port = keep_port
        self.overrides = dict(overrides or {})
        self.ready_timeout = ready_timeout
        self._own_data_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix=f"{name}-data-")
        self._log_dir = tempfile.mkdtemp(prefix=f"{name}-logs-")
        self._starts = 0
        self.proc = None
        self.port = None
        self.admin_url = None
        self.log_path = None

    # ------------------------------------------------------------------ lifecycle
    def start(self, extra_overrides=None):
        assert self.proc is None, "broker already running"
        overrides = {
            "log.dirs": self.data_dir,
            "listeners": "PLAINTEXT://127.0.0.1:0",
            "admin.listeners": "http://127.0.0.1:0",
        }
        if self.keep_port and self.port:
            overrides["listeners"] = f"PLAINTEXT://127.0.0.1:{self.port}"
        overrides.update(self.overrides)
        overrides.update(extra_overrides or {})
        args = [self.binary]
        for k, v in overrides.items():
            args += ["--override", f"{k}={v}"]
        self._starts += 1
        self.log_path = os.path.join(self._log_dir, f"broker-{self._starts}.log")
        self._log_file = open(self.log_path, "wb")
        # The broker reads TERN_* variables as config (TERN_BIN_DIR would become "bin.dir");
        # keep the test hermetic by not passing any of them.
        env = {k: v for k, v in os.environ.items() if not k.startswith("TERN_")}
        self.proc = subprocess.Popen(args, stdout=self._log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + self.ready_timeout
        while True:
            text = self.log()
            m = READY_RE.search(text)
            if m:
                self.port = int(m.group("kport"))
                self.host = m.group("khost")
                self.admin_url = m.group("admin")
                return self
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self._reap()
                raise BrokerStartError(
                    f"tern-broker exited with {rc} before becoming ready.\n"
                    f"command: {' '.join(args)}\n--- broker log ---\n{text}")
            if time.monotonic() > deadline:
                self.kill()
                raise BrokerStartError(
                    f"tern-broker not ready within {self.ready_timeout}s.\n"
                    f"command: {' '.join(args)}\n--- broker log ---\n{text}")
            time.sleep(0.05)

    def stop(self, timeout=20.0):
        """SIGTERM by PID and wait; fails (after SIGKILL) if it does not exit in time."""
        if self.proc is None:
            return None
        pid = self.proc.pid
        if self.proc.poll() is None:
            os.kill(pid, signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            self._reap()
            raise AssertionError(f"broker pid {pid} ignored SIGTERM for {timeout}s\n{self.log()}")
        self._reap()
        return rc

    def kill(self):
        """SIGKILL by PID (crash) and wait for it."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        rc = self.proc.wait(timeout=10)
        self._reap()
        return rc

    def restart(self, clean=True, extra_overrides=None):
        if clean:
            self.stop()
        else:
            self.kill()
        return self.start(extra_overrides)

    def _reap(self):
        self.proc = None
        try:
            self._log_file.close()
        except Exception:
            pass

    def cleanup(self):
        try:
            if self.proc is not None:
                self.kill()
        finally:
            shutil.rmtree(self._log_dir, ignore_errors=True)
            if self._own_data_dir:
                shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # ------------------------------------------------------------------ queries
    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def log(self):
        """Text of the current (or last) run's log."""
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def all_logs(self):
        out = []
        for name in sorted(os.listdir(self._log_dir)):
            with open(os.path.join(self._log_dir, name), "rb") as f:
                out.append(f"--- {name} ---\n" + f.read().decode("utf-8", "replace"))
        return "\n".join(out)

    def partition_dir(self, topic, partition=0):
        return os.path.join(self.data_dir, f"{topic}-{partition}")

    def segment_files(self, topic, partition=0, ext=".log"):
        d = self.partition_dir(topic, partition)
        if not os.path.isdir(d):
            return []
        return sorted(f for f in os.listdir(d) if f.endswith(ext))

    def proc_status_kb(self, field):
        """A kB field of /proc/<pid>/status: VmRSS, VmHWM (peak RSS), VmPeak (peak virtual)."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise KeyError(field)

    def rss_kb(self):
        return self.proc_status_kb("VmRSS")


class BrokerTestCase(unittest.TestCase):
    """Base class: self.start_broker() registers cleanup and dumps the log on failure."""

    def start_broker(self, overrides=None, data_dir=None, **kw):
        b = TernBroker(overrides=overrides, data_dir=data_dir, **kw)
        self.addCleanup(b.cleanup)
        self.addCleanup(self._dump_log_on_failure, b)
        b.start()
        return b

    def _dump_log_on_failure(self, broker):
        # Runs as a cleanup: the failure is already recorded in the result by then.
        result = getattr(getattr(self, "_outcome", None), "result", None)
        if result is None:
            return
        recorded = list(getattr(result, "failures", [])) + list(getattr(result, "errors", []))
        if any(getattr(t, "test_case", t) is self for t, _ in recorded):
            if broker.proc is not None and broker.proc.poll() is not None:
                print(f"\n===== broker pid {broker.proc.pid} died on its own: "
                      f"{describe_exit(broker.proc.returncode)} =====")
            text = broker.all_logs()
            print(f"\n===== broker log ({self.id()}), last 20000 chars =====\n"
                  f"{text[-20000:]}\n=====")


class SharedBrokerTestCase(BrokerTestCase):
    """One broker for the whole class, started with SHARED_OVERRIDES; every test first
    checks it is still alive and dumps its log if the test fails."""

    SHARED_OVERRIDES = {}
    SHARED_NAME = "shared"

    @classmethod
    def setUpClass(cls):
        cls.broker = TernBroker(overrides=cls.SHARED_OVERRIDES, name=cls.SHARED_NAME)
        cls.broker.start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.cleanup()

    def setUp(self):
        self.assertTrue(self.broker.running, "broker died:\n" + self.broker.log()[-5000:])
        self.addCleanup(self._dump_log_on_failure, self.broker)


# ---------------------------------------------------------------------- client helpers
def admin_client(broker):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": broker.bootstrap})


def create_topic(broker, name, partitions=1, config=None, timeout=15):
    from confluent_kafka.admin import NewTopic
    admin = admin_client(broker)
    fs = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1,
                                       config=dict(config or {}))], request_timeout=timeout)
    fs[name].result(timeout=timeout)
    wait_for_topic(broker, name, partitions, timeout=timeout)


def wait_for_topic(broker, name, partitions, timeout=15):
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        md = admin.list_topics(topic=name, timeout=5)
        t = md.topics.get(name)
        if t is not None and t.error is None and len(t.partitions) == partitions:
            return
        time.sleep(0.1)
    raise AssertionError(f"topic {name} with {partitions} partitions not visible after {timeout}s")


def watermarks(broker, topic, partition=0, timeout=10):
    """(low, high) via ListOffsets earliest/latest (confluent_kafka)."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "tern-watermarks",
                  "enable.auto.commit": False})
    try:
        return c.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout)
    finally:
        c.close()


def consume_all(broker, topic, partitions, expected=None, timeout=60, config=None,
                start_offset=None):
    """Read every partition from the beginning with confluent_kafka (assign, no groups).

    Returns a list of (partition, offset, key, value). Stops when each partition reaches
    its high watermark as seen at start (or `expected` records), or fails at timeout.
    """
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING, KafkaError
    conf = {"bootstrap.servers": broker.bootstrap, "group.id": "tern-test",
            "enable.auto.commit": False, "enable.partition.eof": True,
            "auto.offset.reset": "earliest"}
    conf.update(config or {})
    c = Consumer(conf)
    out = []
    try:
        parts = list(range(partitions)) if isinstance(partitions, int) else list(partitions)
        highs = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                 for p in parts}
        start = OFFSET_BEGINNING if start_offset is None else start_offset
        c.assign([TopicPartition(topic, p, start) for p in parts])
        done = {p for p in parts if highs[p] == 0}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if expected is not None and len(out) >= expected:
                break
            if expected is None and len(done) == len(parts):
                break
            msgs = c.consume(num_messages=10000, timeout=0.5)
            for m in msgs:
                if m.error():
                    if m.error().code() == KafkaError._PARTITION_EOF:
                        if m.offset() >= highs[m.partition()]:
                            done.add(m.partition())
                        continue
                    raise AssertionError(f"consume error: {m.error()}")
                out.append((m.partition(), m.offset(), m.key(), m.value()))
                if m.offset() + 1 >= highs[m.partition()]:
                    done.add(m.partition())
        else:
            raise AssertionError(
                f"consume_all({topic}) timed out after {timeout}s with {len(out)} records "
                f"(expected={expected}, highs={highs}, done={sorted(done)})")
        return out
    finally:
        c.close()
