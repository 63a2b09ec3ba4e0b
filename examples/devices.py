"""The three classic devices: QUEUE, FORWARDER and STREAMER, each between real peers.

    python devices.py [queue|forwarder|streamer|all]

A device is a loop that moves messages between a frontend and a backend socket, in both
directions where the socket types allow it; zmq.device() runs it until the context ends.
  QUEUE      ROUTER <-> DEALER: REQ clients share REP workers without knowing them.
  FORWARDER  SUB -> PUB: one point of fan-out that publishers and subscribers both connect to.
  STREAMER   PULL -> PUSH: a collecting point in a PUSH/PULL pipeline.
Each device runs in a thread here over inproc, so one process shows it all.
"""

import argparse
import threading
import time

import zmqfast as zmq


def run_device(kind, frontend, backend):
    """The device's thread: zmq.device returns (raising ContextTerminated) at ctx.term()."""
    try:
        zmq.device(kind, frontend, backend)
    except zmq.ContextTerminated:
        pass
    frontend.close()
    backend.close()


def start(ctx, kind, front_type, back_type, name):
    frontend, backend = ctx.socket(front_type), ctx.socket(back_type)
    frontend.bind(f"inproc://{name}-front")
    backend.bind(f"inproc://{name}-back")
    if front_type == zmq.SUB:
        frontend.subscribe(b"")  # a forwarder passes everything on; subscribers filter
    t = threading.Thread(target=run_device, args=(kind, frontend, backend))
    t.start()
    return t


def queue(ctx):
    device = start(ctx, zmq.QUEUE, zmq.ROUTER, zmq.DEALER, "queue")

    def rep_worker(name):
        with ctx.socket(zmq.REP) as rep:
            rep.connect("inproc://queue-back")
            while True:  # until ctx.term() at the end of the program
                try:
                    request = rep.recv_string()
                except zmq.ContextTerminated:
                    return
                rep.send_string(f"{request} done by {name}")

    workers = [threading.Thread(target=rep_worker, args=(f"worker{i}",)) for i in (1, 2)]
    for w in workers:
        w.start()
    time.sleep(0.1)  # both workers connected: the DEALER then alternates between them
    answered = {}
    with ctx.socket(zmq.REQ) as a, ctx.socket(zmq.REQ) as b:
        a.connect("inproc://queue-front")
        b.connect("inproc://queue-front")
        for i in range(3):
            for client, name in ((a, "client A"), (b, "client B")):
                client.send_string(f"job {i} of {name}")
                reply = client.recv_string()
                answered.setdefault(reply.split()[-1], []).append(i)
                print(f"queue: {reply}", flush=True)
    print(f"queue: 6 requests answered by {len(answered)} workers", flush=True)
    return [device, *workers]


def forwarder(ctx):
    device = start(ctx, zmq.FORWARDER, zmq.SUB, zmq.PUB, "fwd")
    with ctx.socket(zmq.PUB) as pub, ctx.socket(zmq.SUB) as sub1, ctx.socket(zmq.SUB) as sub2:
        pub.connect("inproc://fwd-front")
        for s, topic in ((sub1, b"news"), (sub2, b"")):
            s.connect("inproc://fwd-back")
            s.subscribe(topic)
            s.rcvtimeo = 5000
        time.sleep(0.1)  # subscriptions reach the device's PUB before anything is published
        for msg in (b"news: a device forwards", b"sport: nothing filtered upstream", b"news: end"):
            pub.send(msg)
        print(f"forwarder: 'news' subscriber got {[sub1.recv().decode() for _ in range(2)]}", flush=True)
        print(f"forwarder: catch-all subscriber got {len([sub2.recv() for _ in range(3)])} messages",
              flush=True)
    return [device]


def streamer(ctx):
    device = start(ctx, zmq.STREAMER, zmq.PULL, zmq.PUSH, "stream")
    with ctx.socket(zmq.PUSH) as p1, ctx.socket(zmq.PUSH) as p2, ctx.socket(zmq.PULL) as out:
        out.connect("inproc://stream-back")
        out.rcvtimeo = 5000
        for producer, name in ((p1, "producer 1"), (p2, "producer 2")):
            producer.connect("inproc://stream-front")
            for i in range(2):
                producer.send_string(f"{name}, item {i}")
        got = sorted(out.recv_string() for _ in range(4))
        print(f"streamer: consumer got {got}", flush=True)
    return [device]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("which", nargs="?", default="all", choices=("queue", "forwarder", "streamer", "all"))
    args = p.parse_args()
    ctx = zmq.Context()
    demos = [queue, forwarder, streamer] if args.which == "all" else [globals()[args.which]]
    threads = []
    for demo in demos:
        threads += demo(ctx)
    ctx.term()  # every device returns; their threads close the sockets, then term completes
    for t in threads:
        t.join()
    print("devices: done", flush=True)


if __name__ == "__main__":
    main()
