"""Traffic for cluster fault tests: an idempotent acks=all producer writing unique values, and
a consumer that remembers every record it saw, both on threads of their own."""
import threading
import time


class AckedProducer(threading.Thread):
    """Writes "v<n>" values round-robin over the partitions until stopped; records each
    acknowledged value and each delivery error."""

    def __init__(self, bootstrap, topic, partitions, rate=1000, name="p", config=None,
                 logger=None):
        """`config`: more producer settings (client.id, ...); `logger`: where librdkafka's own
        log lines go (a logging.Logger), instead of stderr."""
        super().__init__(daemon=True)
        from confluent_kafka import Producer
        self.topic, self.partitions, self.rate, self.name = topic, partitions, rate, name
        settings = {
            "bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
            "linger.ms": 5, "message.timeout.ms": 120000, "retry.backoff.ms": 100,
            "topic.metadata.refresh.interval.ms": 1000}
        settings.update(config or {})
        self.producer = Producer(settings, **({"logger": logger} if logger else {}))
        self.acked = {}  # value -> (partition, offset)
        self.errors = []
        self.sent = 0
        self._halt = threading.Event()

    def _delivered(self, err, msg):
        if err is not None:
            self.errors.append(str(err))
        else:
            self.acked[msg.value().decode()] = (msg.partition(), msg.offset())

    def run(self):
        interval = 1.0 / self.rate
        next_at = time.monotonic()
        while not self._halt.is_set():
            value = f"{self.name}{self.sent}"
            try:
                self.producer.produce(self.topic, value=value.encode(),
                                      partition=self.sent % self.partitions,
                                      on_delivery=self._delivered)
                self.sent += 1
            except BufferError:
                pass
            self.producer.poll(0)
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif delay < -1:
                # Far behind (a stalled produce() call): go on at the rate, not in a burst.
                next_at = time.monotonic()

    def acked_count(self):
        return len(self.acked)

    def finish(self, timeout=120):
        self._halt.set()
        self.join(timeout=10)
        remaining = self.producer.flush(timeout)
        return remaining


class WatchingConsumer(threading.Thread):
    """Reads every partition from the start, keeping (partition, offset) -> value."""

    def __init__(self, bootstrap, topic, partitions):
        super().__init__(daemon=True)
        from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "tern-watcher",
                                  "enable.auto.commit": False, "auto.offset.reset": "earliest",
                                  "topic.metadata.refresh.interval.ms": 1000})
        self.consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING)
                              for p in range(partitions)])
        self.seen = {}
        self.errors = []
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            for m in self.consumer.consume(num_messages=1000, timeout=0.2):
                if m.error():
                    self.errors.append(str(m.error()))
                    continue
                self.seen[(m.partition(), m.offset())] = m.value().decode()

    def finish(self):
        self._halt.set()
        self.join(timeout=10)
        self.consumer.close()
