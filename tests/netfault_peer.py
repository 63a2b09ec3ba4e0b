"""One end of a PUSH/PULL stream for tests/test_netfaults.py, run inside a network namespace
(`ip netns exec NS python netfault_peer.py ...`). It reports on stdout, a line per event and
flushed at once, so that what it saw survives it being killed:

    push ENDPOINT COUNT RATE   connect a PUSH and send COUNT messages at RATE per second, each
                               [seq, payload, digest]: "s SEQ TIME" per message, then "done"
    pull ENDPOINT SECONDS      bind a PULL: "bound TIME", then "r SEQ TIME" per whole message
                               and "torn SEQ" for one that is not; stops after SECONDS quiet

RECONNECT_IVL, CONNECT_TIMEOUT and heartbeats come from the environment (NETFAULT_*), in ms.
The implementation is ZMQFAST_IMPL's (zmqfast, or zmq for pyzmq), as in the tests.
"""

import hashlib
import importlib
import os
import sys
import time


def payload(seq):
    return bytes([seq % 251]) * (seq % 300)


def digest(seq, body):
    return hashlib.sha256(b"%d:" % seq + body).digest()[:8]


def say(*words):
    sys.stdout.write(" ".join(str(w) for w in words) + "\n")
    sys.stdout.flush()


def options(zmq, sock):
    for name in ("RECONNECT_IVL", "CONNECT_TIMEOUT", "HEARTBEAT_IVL", "HEARTBEAT_TIMEOUT"):
        value = os.environ.get("NETFAULT_" + name)
        if value:
            sock.setsockopt(getattr(zmq, name), int(value))
    sock.setsockopt(zmq.LINGER, 0)


def push(zmq, ctx, endpoint, count, rate):
    sock = ctx.socket(zmq.PUSH)
    options(zmq, sock)
    sock.setsockopt(zmq.SNDTIMEO, 20000)  # a peer that never comes back ends the run
    sock.connect(endpoint)
    start = time.monotonic()
    for seq in range(count):
        wait = start + seq / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        body = payload(seq)
        sock.send_multipart([b"%d" % seq, body, digest(seq, body)])
        say("s", seq, repr(time.time()))
    say("done")
    sock.close(linger=10000)  # what is still queued goes out before the process ends


def pull(zmq, ctx, endpoint, quiet):
    sock = ctx.socket(zmq.PULL)
    options(zmq, sock)
    sock.bind(endpoint)
    say("bound", repr(time.time()))
    sock.setsockopt(zmq.RCVTIMEO, int(quiet * 1000))
    while True:
        try:
            parts = sock.recv_multipart()
        except zmq.Again:
            break
        now = time.time()
        try:
            seq = int(parts[0])
            whole = len(parts) == 3 and parts[1] == payload(seq) and parts[2] == digest(seq, parts[1])
        except ValueError:
            seq, whole = -1, False
        if whole:
            say("r", seq, repr(now))
        else:
            say("torn", seq)
    say("done")
    sock.close()


def main(argv):
    zmq = importlib.import_module(os.environ.get("ZMQFAST_IMPL", "zmqfast"))
    ctx = zmq.Context()
    try:
        if argv[0] == "push":
            push(zmq, ctx, argv[1], int(argv[2]), float(argv[3]))
        elif argv[0] == "pull":
            pull(zmq, ctx, argv[1], float(argv[2]))
        else:
            raise SystemExit(f"unknown role {argv[0]!r}")
    finally:
        ctx.destroy(linger=0)


if __name__ == "__main__":
    main(sys.argv[1:])
