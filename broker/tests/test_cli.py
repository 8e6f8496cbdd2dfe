"""The `tern` command line against a real broker, with the flags of Kafka's scripts.

* Kafka's quickstart, run from the README's own code block.
* 100k keyed lines through console-producer and back through console-consumer: nothing lost
  or duplicated, each key on the partition Java's murmur2 picks, per-key order kept.
* `tern topics`: Kafka's --list/--describe layout, --alter, --delete, --if-(not-)exists and
  the errors (existing topic, illegal name, missing topic, missing flags).
* console-consumer --partition/--offset; console-producer compression; `tern perf`.

Every subprocess has a timeout, so a hung command fails the test instead of the suite.
"""

import collections
import os
import re
import subprocess
import time
import unittest

from tern_fixture import REPO, SharedBrokerTestCase, watermarks
from kafka_wire import parse_batches

CMD_TIMEOUT = 60
CODEC_IDS = {"gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def tern_binary():
    bin_dir = os.environ.get("TERN_BIN_DIR", os.path.join(REPO, "build", "bin"))
    path = os.path.join(bin_dir, "tern")
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"tern binary not found at {path} (set TERN_BIN_DIR)")
    return path


def clean_env(extra_path=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERN_")}
    if extra_path:
        env["PATH"] = extra_path + os.pathsep + env.get("PATH", "")
    return env


def tern(*args, input=None, timeout=CMD_TIMEOUT):
    """Run `tern args...`; returns CompletedProcess with text stdout/stderr."""
    cmd = [tern_binary(), *map(str, args)]
    try:
        return subprocess.run(cmd, input=input, capture_output=True, text=True,
                              timeout=timeout, env=clean_env())
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"`tern {' '.join(map(str, args))[:300]}` did not finish within "
                             f"{timeout}s; stderr: {e.stderr!r}") from None


def show(r):
    return f"exit {r.returncode}\nstdout: {r.stdout[-2000:]!r}\nstderr: {r.stderr[-2000:]!r}"


def java_partition(key, partitions):
    """The partition Java clients (and librdkafka's murmur2_random) pick for a key."""
    from kafka.partitioner.default import murmur2
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def readme_quickstart():
    """The shell commands of the README's Quickstart block and the output it promises."""
    with open(os.path.join(REPO, "README.md")) as f:
        text = f.read()
    m = re.search(r"^## Quickstart\n.*?^```sh\n(.*?)^```", text, re.S | re.M)
    assert m, "README.md has no ```sh block under '## Quickstart'"
    commands, expected, current = [], [], ""
    for line in m.group(1).splitlines():
        if line.startswith("#"):
            expected.append(line[1:].strip())
            continue
        if not line.strip() and not current:
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        commands.append((current + line).strip())
        current = ""
    return commands, expected


def parse_describe(text):
    """Kafka's --describe output -> {topic: (header_fields, configs, [partition_fields])}."""
    out = {}
    for line in text.splitlines():
        if line.startswith("\t"):
            fields = dict(f.split(": ", 1) for f in line[1:].split("\t"))
            out[fields["Topic"]][2].append(fields)
        elif line:
            fields = dict(f.split(": ", 1) if ": " in f else (f.rstrip(":"), "")
                          for f in line.split("\t"))
            configs = dict(kv.split("=", 1) for kv in fields["Configs"].split(",") if kv)
            out[fields["Topic"]] = (fields, configs, [])
    return out


class CliTest(SharedBrokerTestCase):
    # Auto-creation off: a missing topic must stay missing.
    SHARED_OVERRIDES = {"auto.create.topics.enable": "false"}
    SHARED_NAME = "cli"

    @classmethod
    def setUpClass(cls):
        tern_binary()
        super().setUpClass()
        cls.bs = ["--bootstrap-server", cls.broker.bootstrap]

    # ------------------------------------------------------------------ helpers
    def ok(self, *args, **kw):
        r = tern(*args, **kw)
        self.assertEqual(r.returncode, 0, f"tern {' '.join(map(str, args))[:300]}\n{show(r)}")
        return r

    def fails(self, *args, **kw):
        r = tern(*args, **kw)
        self.assertNotEqual(r.returncode, 0,
                            f"tern {' '.join(map(str, args))[:300]} should fail\n{show(r)}")
        self.assertTrue(r.stderr.strip(), f"no error message on stderr\n{show(r)}")
        return r

    def create(self, topic, partitions=1, *extra):
        r = self.ok("topics", "--create", "--topic", topic, "--partitions", partitions,
                    *extra, *self.bs)
        self.assertEqual(r.stdout, f"Created topic {topic}.\n")

    def list_topics(self):
        return self.ok("topics", "--list", *self.bs).stdout.splitlines()

    def describe(self, topic):
        return parse_describe(self.ok("topics", "--describe", "--topic", topic,
                                      *self.bs).stdout)

    # ------------------------------------------------------------------ quickstart
    def test_readme_quickstart(self):
        commands, expected = readme_quickstart()
        self.assertEqual(expected, ["k1-v1"], "the README's promised consumer output changed")
        bin_dir = os.path.dirname(tern_binary())
        results = []
        for cmd in commands:
            if cmd.startswith("export PATH="):
                continue  # the environment below puts the binaries on PATH
            cmd = cmd.replace("localhost:9092", self.broker.bootstrap)
            try:
                r = subprocess.run(["bash", "-c", "set -o pipefail; " + cmd],
                                   capture_output=True, text=True, timeout=CMD_TIMEOUT,
                                   env=clean_env(bin_dir))
            except subprocess.TimeoutExpired:
                self.fail(f"README command did not finish in {CMD_TIMEOUT}s: {cmd}")
            self.assertEqual(r.returncode, 0, f"README command failed: {cmd}\n{show(r)}")
            results.append((cmd, r))
        self.assertEqual([re.search(r"\btern (\S+)", c).group(1) for c, _ in results],
                         ["topics", "topics", "console-producer", "console-consumer"])
        (_, create), (_, describe), (_, produce), (_, consume) = results
        self.assertEqual(create.stdout, "Created topic quickstart-events.\n")
        self.assertEqual(
            describe.stdout,
            "Topic: quickstart-events\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: \n"
            "\tTopic: quickstart-events\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0\n")
        self.assertEqual(produce.stdout, "")
        self.assertEqual(consume.stdout, "k1-v1\n")
        self.assertIn("Processed a total of 1 messages", consume.stderr)

        # The same steps spelled out, on a second topic, in case the README drifts.
        topic = "quickstart-events-2"
        self.ok("topics", "--create", "--topic", topic, *self.bs)
        self.ok("console-producer", "--topic", topic, *self.bs, "--property", "parse.key=true",
                "--property", "key.separator=:", input="k1:v1\n")
        r = self.ok("console-consumer", "--topic", topic, "--from-beginning", *self.bs,
                    "--property", "print.key=true", "--property", "print.value=true",
                    "--property", "key.separator=-", "--max-messages", "1")
        self.assertEqual(r.stdout, "k1-v1\n")
        self.assertIn("Processed a total of 1 messages", r.stderr)

    # ------------------------------------------------------------------ 100k keyed
    def test_keyed_100k_round_trip(self):
        topic, partitions, n, n_keys = "cli-keyed", 4, 100_000, 257
        self.create(topic, partitions)
        seq = collections.Counter()
        lines = []
        for i in range(n):
            key = f"key-{(i * 7919) % n_keys}"
            lines.append(f"{key}:{key}|{seq[key]}|{'x' * (i % 40)}\n")
            seq[key] += 1
        started = time.monotonic()
        self.ok("console-producer", "--topic", topic, *self.bs, "--property", "parse.key=true",
                "--property", "key.separator=:", input="".join(lines), timeout=120)
        highs = [watermarks(self.broker, topic, p)[1] for p in range(partitions)]
        self.assertEqual(sum(highs), n, f"high watermarks {highs}")

        r = self.ok("console-consumer", "--topic", topic, "--from-beginning", *self.bs,
                    "--property", "print.partition=true", "--property", "print.offset=true",
                    "--property", "print.key=true", "--property", "key.separator=\t",
                    "--timeout-ms", "5000", timeout=120)
        self.assertIn(f"Processed a total of {n} messages", r.stderr)
        out = r.stdout.splitlines()
        self.assertEqual(len(out), n)

        per_partition = collections.defaultdict(list)
        per_key = collections.defaultdict(list)
        key_partition = {}
        values = []
        for line in out:
            p, o, k, v = line.split("\t", 3)
            p, o = int(p.removeprefix("Partition:")), int(o.removeprefix("Offset:"))
            per_partition[p].append(o)
            vk, s, _ = v.split("|", 2)
            self.assertEqual(vk, k, f"value {v!r} under key {k!r}")
            self.assertEqual(key_partition.setdefault(k, p), p, f"key {k} in two partitions")
            per_key[k].append(int(s))
            values.append(v)
        self.assertEqual(len(set(values)), n, "duplicate records")
        for p, offsets in per_partition.items():
            self.assertEqual(offsets, list(range(highs[p])), f"partition {p}: offsets")
        self.assertEqual(set(per_key), set(seq))
        for k, seqs in per_key.items():
            self.assertEqual(seqs, list(range(seq[k])), f"key {k}: order broken or gaps")
        # murmur2_random, as Java clients: the partition is murmur2(key) mod partitions.
        wrong = {k: (p, java_partition(k, partitions)) for k, p in key_partition.items()
                 if p != java_partition(k, partitions)}
        self.assertFalse(wrong, f"keys not on Java's murmur2 partition (got, want): "
                                f"{dict(list(wrong.items())[:5])}")
        print(f"\n  {n} keyed lines round-trip in {time.monotonic() - started:.1f}s", end=" ")

    # ------------------------------------------------------------------ topics
    def test_topics_create_describe_alter_delete(self):
        topic = "cli-admin"
        self.create(topic, 3, "--replication-factor", "1", "--config", "retention.ms=3600000",
                    "--config", "cleanup.policy=delete")
        self.assertIn(topic, self.list_topics())

        r = self.ok("topics", "--describe", "--topic", topic, *self.bs)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 4, r.stdout)
        self.assertRegex(lines[0], r"^Topic: cli-admin\tPartitionCount: 3\tReplicationFactor: 1"
                                   r"\tConfigs: [^\t]*$")
        for p, line in enumerate(lines[1:]):
            self.assertEqual(line, f"\tTopic: cli-admin\tPartition: {p}\tLeader: 0"
                                   f"\tReplicas: 0\tIsr: 0")
        _, configs, _ = parse_describe(r.stdout)[topic]
        self.assertEqual(configs, {"retention.ms": "3600000", "cleanup.policy": "delete"})

        # --alter: more partitions and one more config override.
        self.ok("topics", "--alter", "--topic", topic, "--partitions", "5",
                "--config", "segment.bytes=1048576", *self.bs)
        header, configs, parts = self.describe(topic)[topic]
        self.assertEqual(header["PartitionCount"], "5")
        self.assertEqual([q["Partition"] for q in parts], ["0", "1", "2", "3", "4"])
        self.assertEqual(configs, {"retention.ms": "3600000", "cleanup.policy": "delete",
                                   "segment.bytes": "1048576"})
        # Changing one value keeps the others; --delete-config removes one.
        self.ok("topics", "--alter", "--topic", topic, "--config", "retention.ms=7200000",
                "--delete-config", "cleanup.policy", *self.bs)
        _, configs, _ = self.describe(topic)[topic]
        self.assertEqual(configs, {"retention.ms": "7200000", "segment.bytes": "1048576"})
        # Fewer partitions is an error.
        r = self.fails("topics", "--alter", "--topic", topic, "--partitions", "2", *self.bs)
        self.assertIn("5", r.stderr)
        self.assertEqual(self.describe(topic)[topic][0]["PartitionCount"], "5")

        # --describe without --topic lists every topic.
        self.create("cli-admin-b", 1)
        everything = parse_describe(self.ok("topics", "--describe", *self.bs).stdout)
        self.assertLessEqual({topic, "cli-admin-b"}, set(everything))

        # --delete: gone from --list and --describe.
        self.ok("topics", "--delete", "--topic", topic, *self.bs)
        self.assertNotIn(topic, self.list_topics())
        self.assertIn("cli-admin-b", self.list_topics())
        self.fails("topics", "--describe", "--topic", topic, *self.bs)

    def test_topics_list_is_sorted_names(self):
        for t in ("cli-list-b", "cli-list-a", "cli-list-c"):
            self.create(t)
        names = self.list_topics()
        self.assertEqual(names, sorted(names))
        self.assertLessEqual({"cli-list-a", "cli-list-b", "cli-list-c"}, set(names))
        for name in names:
            self.assertRegex(name, r"^[A-Za-z0-9._-]+$")

    def test_topics_if_not_exists_and_if_exists(self):
        topic = "cli-ifx"
        self.create(topic, 2)
        r = self.ok("topics", "--create", "--topic", topic, "--partitions", "4",
                    "--if-not-exists", *self.bs)
        self.assertEqual((r.stdout, r.stderr), ("", ""))
        self.assertEqual(self.describe(topic)[topic][0]["PartitionCount"], "2")

        r = self.ok("topics", "--delete", "--topic", "cli-missing", "--if-exists", *self.bs)
        self.assertEqual(r.stderr, "")
        r = self.ok("topics", "--describe", "--topic", "cli-missing", "--if-exists", *self.bs)
        self.assertEqual(r.stdout, "")
        self.assertNotIn("cli-missing", self.list_topics())

    def test_topics_alter_if_exists_missing_topic(self):
        # kafka-topics.sh: "--if-exists: if set when altering or deleting or describing topics,
        # the action will only execute if the topic exists" -- and exits 0 otherwise.
        for change in (["--partitions", "3"], ["--config", "retention.ms=1000"]):
            with self.subTest(change=change):
                r = tern("topics", "--alter", "--topic", "cli-missing-alter", *change,
                         "--if-exists", *self.bs)
                self.assertEqual(r.returncode, 0, f"--alter --if-exists on a missing topic\n"
                                                  f"{show(r)}")
        self.assertNotIn("cli-missing-alter", self.list_topics())

    def test_topics_errors(self):
        topic = "cli-errors"
        self.create(topic)
        r = self.fails("topics", "--create", "--topic", topic, *self.bs)
        self.assertIn("already exists", r.stderr)
        self.assertIn(topic, r.stderr)

        for bad in ("bad/name", "bad name", "bad*name"):
            with self.subTest(name=bad):
                r = self.fails("topics", "--create", "--topic", bad, *self.bs)
                self.assertIn(bad, r.stderr)  # the name, with its illegal character
                self.assertIn("illegal", r.stderr)
                self.assertIn("character", r.stderr)
        r = self.fails("topics", "--create", "--topic", "x" * 250, *self.bs)
        self.assertIn("249", r.stderr)
        self.fails("topics", "--create", "--topic", "..", *self.bs)
        self.fails("topics", "--create", "--topic", "cli-p0", "--partitions", "0", *self.bs)
        r = self.fails("topics", "--create", "--topic", "cli-rf3", "--replication-factor", "3",
                       *self.bs)
        self.assertIn("3", r.stderr)
        r = self.fails("topics", "--create", "--topic", "cli-badcfg", "--config",
                       "retention.ms=abc", *self.bs)
        self.assertIn("retention.ms", r.stderr)
        self.fails("topics", "--create", "--topic", "cli-badcfg", "--config", "noequals",
                   *self.bs)
        names = self.list_topics()
        for never in ("bad/name", "bad name", "cli-p0", "cli-rf3", "cli-badcfg"):
            self.assertNotIn(never, names)

        r = self.fails("topics", "--delete", "--topic", "cli-missing", *self.bs)
        self.assertIn("cli-missing", r.stderr)
        self.assertIn("does not exist", r.stderr)
        r = self.fails("topics", "--describe", "--topic", "cli-missing", *self.bs)
        self.assertIn("does not exist", r.stderr)
        self.fails("topics", "--alter", "--topic", "cli-missing", "--partitions", "3", *self.bs)

    def test_missing_required_flags(self):
        b = self.bs
        cases = [
            ["topics", "--list"],                                  # no --bootstrap-server
            ["topics", *b],                                        # no action
            ["topics", "--create", "--list", *b],                  # two actions
            ["topics", "--create", *b],                            # no --topic
            ["topics", "--delete", *b],
            ["topics", "--alter", *b],
            ["console-producer", *b],                              # no --topic
            ["console-producer", "--topic", "cli-x"],              # no --bootstrap-server
            ["console-consumer", *b],
            ["console-consumer", "--topic", "cli-x"],
            ["perf", "produce", "--topic", "cli-x", *b],           # no --num-records
            ["perf", "consume", "--topic", "cli-x", *b],           # no --messages
            ["perf", *b],                                          # no subcommand
            ["no-such-subcommand"],
        ]
        for args in cases:
            with self.subTest(args=" ".join(args)):
                self.fails(*args, input="", timeout=20)

    # ------------------------------------------------------------------ console consumer
    def test_console_consumer_partition_and_offset(self):
        from confluent_kafka import Producer
        topic = "cli-offsets"
        self.create(topic, 3)
        p = Producer({"bootstrap.servers": self.broker.bootstrap, "linger.ms": 5})
        for i in range(20):
            p.produce(topic, value=f"p1-{i}".encode(), partition=1)
        for i in range(5):
            p.produce(topic, value=f"p0-{i}".encode(), partition=0)
        self.assertEqual(p.flush(30), 0)

        def consume(*extra):
            r = self.ok("console-consumer", "--topic", topic, *self.bs, *extra,
                        "--property", "print.offset=true", "--timeout-ms", "2000")
            return r.stdout.splitlines(), r.stderr

        out, err = consume("--partition", "1", "--offset", "5")
        self.assertEqual(out, [f"Offset:{i}\tp1-{i}" for i in range(5, 20)])
        self.assertIn("Processed a total of 15 messages", err)
        out, err = consume("--partition", "1", "--offset", "17", "--max-messages", "2")
        self.assertEqual(out, ["Offset:17\tp1-17", "Offset:18\tp1-18"])
        self.assertIn("Processed a total of 2 messages", err)
        out, _ = consume("--partition", "1", "--offset", "earliest")
        self.assertEqual(out, [f"Offset:{i}\tp1-{i}" for i in range(20)])
        out, _ = consume("--partition", "0", "--from-beginning")
        self.assertEqual(out, [f"Offset:{i}\tp0-{i}" for i in range(5)])
        out, err = consume("--partition", "1", "--offset", "latest")
        self.assertEqual(out, [])
        self.assertIn("Processed a total of 0 messages", err)
        out, _ = consume("--partition", "2", "--from-beginning")
        self.assertEqual(out, [])

        r = self.fails("console-consumer", "--topic", topic, *self.bs, "--offset", "5",
                       "--timeout-ms", "2000")
        self.assertIn("partition", r.stderr.lower())
        self.fails("console-consumer", "--topic", topic, *self.bs, "--partition", "1",
                   "--offset", "abc", "--timeout-ms", "2000")
        self.fails("console-consumer", "--topic", topic, *self.bs, "--partition", "7",
                   "--timeout-ms", "2000")
        self.fails("console-consumer", "--topic", "cli-missing", *self.bs,
                   "--from-beginning", "--timeout-ms", "2000")

    # ------------------------------------------------------------------ compression
    def test_console_producer_compression(self):
        # compression.type through --producer-property, and Kafka's --compression-codec flag.
        cases = [("zstd", ["--producer-property", "compression.type=zstd"]),
                 ("gzip", ["--producer-property", "compression.type=gzip"]),
                 ("lz4", ["--compression-codec", "lz4"]),
                 ("snappy", ["--compression-codec", "snappy"])]
        for codec, flags in cases:
            with self.subTest(codec=codec):
                topic = f"cli-comp-{codec}"
                self.create(topic, 1)
                lines = [f"k{i % 13}\t{codec} line {i:05d} " + "lorem ipsum dolor " * (1 + i % 5)
                         for i in range(3000)]
                self.ok("console-producer", "--topic", topic, *self.bs, "--property",
                        "parse.key=true", "--producer-property", "linger.ms=20", *flags,
                        input="\n".join(lines) + "\n")
                with open(os.path.join(self.broker.partition_dir(topic, 0),
                                       "00000000000000000000.log"), "rb") as f:
                    batches = parse_batches(f.read())
                # Records per codec on disk. librdkafka may send a small batch plain when
                # compressing would not shrink it, so count records, not batches.
                codecs = collections.Counter()
                for b in batches:
                    codecs[b["attributes"] & 7] += b["count"]
                self.assertLessEqual(set(codecs), {0, CODEC_IDS[codec]}, codecs)
                self.assertGreater(codecs[CODEC_IDS[codec]], 0.9 * len(lines),
                                   f"records per codec on disk {dict(codecs)}: expected {codec}")
                self.assertEqual(sum(b["count"] for b in batches), len(lines))
                r = self.ok("console-consumer", "--topic", topic, *self.bs, "--from-beginning",
                            "--property", "print.key=true", "--max-messages", len(lines),
                            "--timeout-ms", "10000")
                self.assertEqual(r.stdout.splitlines(), lines)

    # ------------------------------------------------------------------ perf
    PRODUCE_SUMMARY = re.compile(
        r"^(?P<n>\d+) records sent, (?P<rate>[\d.]+) records/sec \((?P<mb>[\d.]+) MB/sec\), "
        r"(?P<avg>[\d.]+) ms avg latency, (?P<max>[\d.]+) ms max latency, "
        r"(?P<p50>[\d.]+) ms 50th, (?P<p95>[\d.]+) ms 95th, (?P<p99>[\d.]+) ms 99th, "
        r"(?P<p999>[\d.]+) ms 99.9th\.$")

    def test_perf_produce_and_consume(self):
        topic, n, size = "cli-perf", 200_000, 100
        self.create(topic, 3)
        r = self.ok("perf", "produce", *self.bs, "--topic", topic, "--num-records", n,
                    "--record-size", size, "--throughput", "-1",
                    "--producer-props", "acks=1", "linger.ms=5", timeout=120)
        last = r.stdout.strip().splitlines()[-1]
        for word in ("records/sec", "MB/sec", "ms avg latency", "50th", "99th", "99.9th",
                     "max latency"):
            self.assertIn(word, last)
        m = self.PRODUCE_SUMMARY.match(last)
        self.assertIsNotNone(m, f"summary line not in Kafka's format: {last!r}")
        v = {k: float(x) for k, x in m.groupdict().items()}
        self.assertEqual(v["n"], n)
        self.assertGreater(v["rate"], 0)
        self.assertGreater(v["mb"], 0)
        self.assertLessEqual(v["p50"], v["p95"])
        self.assertLessEqual(v["p95"], v["p99"])
        self.assertLessEqual(v["p99"], v["p999"])
        self.assertLessEqual(v["p999"], v["max"])
        self.assertLessEqual(v["avg"], v["max"])
        highs = [watermarks(self.broker, topic, p)[1] for p in range(3)]
        self.assertEqual(sum(highs), n, f"high watermarks {highs}")

        r = self.ok("perf", "consume", *self.bs, "--topic", topic, "--messages", n,
                    "--timeout", "10000", timeout=120)
        lines = r.stdout.strip().splitlines()
        self.assertEqual(lines[0].split(", ")[:5], ["start.time", "end.time",
                                                    "data.consumed.in.MB", "MB.sec",
                                                    "data.consumed.in.nMsg"])
        csv = lines[1].split(", ")
        self.assertEqual(int(csv[4]), n)
        self.assertAlmostEqual(float(csv[2]), n * size / 1024 / 1024, places=3)
        self.assertRegex(lines[-1], rf"^{n} records consumed, [\d.]+ records/sec")

    def test_perf_consume_fewer_than_available(self):
        topic = "cli-perf-few"
        self.create(topic, 1)
        self.ok("perf", "produce", *self.bs, "--topic", topic, "--num-records", 50_000,
                "--record-size", 50, "--throughput", "-1", timeout=60)
        # Asking for fewer records than the topic holds is the common case (Kafka's
        # consumer-perf-test stops after --messages and exits 0).
        r = tern("perf", "consume", *self.bs, "--topic", topic, "--messages", 1000,
                 "--timeout", "10000", timeout=60)
        self.assertEqual(r.returncode, 0, show(r))
        self.assertRegex(r.stdout.strip().splitlines()[-1], r"^1000 records consumed, ",
                         show(r))

    def test_perf_missing_topic_does_not_hang(self):
        # The broker does not auto-create here. consume fails at once; produce fails when its
        # records expire (librdkafka's default would wait topic.metadata.propagation.max.ms,
        # 30 s; message.timeout.ms keeps the test short).
        started = time.monotonic()
        r = tern("perf", "consume", *self.bs, "--topic", "cli-perf-missing", "--messages", 10,
                 "--timeout", "3000", timeout=30)
        self.assertNotEqual(r.returncode, 0, show(r))
        r = tern("perf", "produce", *self.bs, "--topic", "cli-perf-missing", "--num-records",
                 10, "--record-size", 10, "--throughput", "-1",
                 "--producer-props", "message.timeout.ms=3000", timeout=60)
        self.assertNotEqual(r.returncode, 0, show(r))
        self.assertIn("failed", r.stderr)
        self.assertLess(time.monotonic() - started, 60)
        self.assertNotIn("cli-perf-missing", self.list_topics())


if __name__ == "__main__":
    unittest.main()
