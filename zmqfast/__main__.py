"""python -m zmqfast: a short demo of the patterns over tcp, printing what happens."""

from __future__ import annotations

import threading
import time

import zmqfast as zmq


def pipeline(ctx: zmq.Context) -> None:
    """A ventilator PUSHes tasks to two workers; they PUSH results to a sink."""
    vent = ctx.socket(zmq.PUSH)
    port = vent.bind_to_random_port("tcp://127.0.0.1")
    sink = ctx.socket(zmq.PULL)
    sink_port = sink.bind_to_random_port("tcp://127.0.0.1")
    done = {}

    def worker(name: str) -> None:
        with ctx.socket(zmq.PULL) as tasks, ctx.socket(zmq.PUSH) as results:
            tasks.connect(f"tcp://127.0.0.1:{port}")
            results.connect(f"tcp://127.0.0.1:{sink_port}")
            tasks.rcvtimeo = 500
            n = 0
            while True:
                try:
                    task = tasks.recv_json()
                except zmq.Again:
                    break
                results.send_json({"worker": name, "square": task * task})
                n += 1
            done[name] = n

    workers = [threading.Thread(target=worker, args=(f"worker-{i}",)) for i in range(2)]
    for w in workers:
        w.start()
    time.sleep(0.2)  # let both workers connect so the load is shared
    for i in range(20):
        vent.send_json(i)
    total = sum(sink.recv_json()["square"] for _ in range(20))
    for w in workers:
        w.join()
    print(f"PUSH/PULL pipeline over tcp: 20 tasks, sum of squares {total} (expected "
          f"{sum(i * i for i in range(20))}); tasks per worker: {done}")
    vent.close()
    sink.close()


def pair(ctx: zmq.Context) -> None:
    """Two PAIR sockets exchange a few messages."""
    a = ctx.socket(zmq.PAIR)
    port = a.bind_to_random_port("tcp://127.0.0.1")
    b = ctx.socket(zmq.PAIR)
    b.connect(f"tcp://127.0.0.1:{port}")
    a.send_string("ping")
    got = b.recv_string()
    b.send_multipart([b"pong", b"with", b"three parts"])
    back = a.recv_multipart()
    print(f"PAIR over tcp: sent 'ping', peer got {got!r}; reply was {back}")
    a.close()
    b.close()


def main() -> None:
    print(f"zmqfast {zmq.__version__} (speaks ZMTP 3.1 like libzmq {zmq.zmq_version()})")
    with zmq.Context() as ctx:
        pipeline(ctx)
        pair(ctx)
    print("done")


if __name__ == "__main__":
    main()
