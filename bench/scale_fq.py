"""Fair queueing over many idle pipes: ``python -m bench.scale_fq [--dealers N] [--rounds R] [--impl M]``.

A ROUTER with N inproc DEALERs (default 10,000) in one thread; each round one DEALER chosen at
random sends a 16 B request, the ROUTER echoes it, the DEALER reads the reply, and the ROUTER is
polled once more with nothing to read. Every pipe but one is empty at any time, so the figure is
what finding the one readable pipe costs (and what a look at an empty socket costs): with a scan
of every pipe it grows with N, with libzmq's active/idle partition it does not. Prints
microseconds per round trip; lower is better. Not part of ``python -m bench`` (one process,
inproc only, no rival in the same run unless run twice with --impl).
"""

from __future__ import annotations

import argparse
import importlib
import random
import resource
import time


def run(zmq, dealers: int, rounds: int) -> float:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < dealers + 256 and (hard == resource.RLIM_INFINITY or hard >= dealers + 256):
        resource.setrlimit(resource.RLIMIT_NOFILE, (dealers + 256, hard))
    ctx = zmq.Context()
    ctx.set(zmq.MAX_SOCKETS, dealers + 64)
    try:
        router = ctx.socket(zmq.ROUTER)
        router.bind("inproc://scale-fq")
        socks = []
        for _ in range(dealers):
            d = ctx.socket(zmq.DEALER)
            d.connect("inproc://scale-fq")
            d.send(b"hi")
            socks.append(d)
        for _ in range(dealers):  # every pipe attached and drained
            router.send_multipart(router.recv_multipart())
        for d in socks:
            d.recv()
        rng = random.Random(16)
        msg = b"y" * 16
        t0 = time.perf_counter()
        for _ in range(rounds):
            d = socks[rng.randrange(dealers)]
            d.send(msg)
            router.send_multipart(router.recv_multipart())
            if d.recv() != msg:
                raise RuntimeError("wrong reply")
            if router.poll(0):
                raise RuntimeError("a message nobody sent")
        return (time.perf_counter() - t0) / rounds * 1e6
    finally:
        ctx.destroy(linger=0)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.scale_fq", description=__doc__.split("\n\n")[1])
    p.add_argument("--dealers", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=20_000)
    p.add_argument("--impl", default="zmqfast")
    a = p.parse_args(argv)
    us = run(importlib.import_module(a.impl), a.dealers, a.rounds)
    print(f"{a.impl}: {a.dealers} DEALERs, one request at a time: {us:.2f} us per round trip")


if __name__ == "__main__":
    main()
