"""How long a rebalance takes when a member joins a stable group of two (confluent-kafka).

The clients' own delays are kept small (heartbeat.interval.ms=100) so what is measured is
mostly the broker: from the new member's subscribe() to every member holding its new
assignment. Prints one Markdown line.
"""
import sys
import threading
import time

from confluent_kafka import Consumer

bootstrap = sys.argv[1]
topic = "g6"
group = "bench-rebalance"
assigned = {}
lock = threading.Lock()


def make(name):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                  "session.timeout.ms": 6000, "heartbeat.interval.ms": 100,
                  "enable.auto.commit": False})

    def on_assign(consumer, partitions):
        with lock:
            assigned[name] = (time.monotonic(), sorted(p.partition for p in partitions))

    c.subscribe([topic], on_assign=on_assign)
    return c


def poll_until(consumers, done, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for c in consumers:
            c.poll(0.01)
        if done():
            return True
    return False


a, b = make("a"), make("b")
if not poll_until([a, b], lambda: len(assigned) == 2 and
                  sum(len(v[1]) for v in assigned.values()) == 6, 30):
    sys.exit("the first two members never settled")
time.sleep(1)
assigned.clear()
t0 = time.monotonic()
c = make("c")
ok = poll_until([a, b, c], lambda: len(assigned) == 3, 30)
elapsed = max(v[0] for v in assigned.values()) - t0 if ok else float("nan")
for x in (a, b, c):
    x.close()
print(f"- rebalance when a third member joins (heartbeat.interval.ms=100): "
      f"{elapsed * 1000:.0f} ms from subscribe() to all three members assigned")
