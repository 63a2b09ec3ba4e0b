"""A configuration centre client: keeps a copy of the configuration in step with the server.

    python client.py [--base tcp://127.0.0.1:5570] [--name NAME] [--set KEY=VALUE ...]
                     [--until KEY] [--curve KEYDIR]

It subscribes to the changes first and only then asks for a snapshot, so nothing falls between
the two: changes numbered up to the snapshot's are already in it and are skipped. After that
every change must carry the next number. A jump, or a heartbeat announcing a number the
client has not seen, means changes were lost (a slow subscriber, a dropped connection): the
client throws its copy away and fetches a fresh snapshot. A client that restarts does the same
as a new one, so it catches up with whatever happened while it was gone.

--set pushes changes (an empty VALUE deletes KEY), one every --interval seconds, and says
when the copy holds all of them (it never will if another client changes the same key
afterwards: the last change the server receives wins). --until KEY ends the client once KEY is set and prints
the configuration; without it the client runs until Ctrl-C.
"""

import argparse
import json
import os
import time

import zmqfast as zmq
from common import HEARTBEAT, SNAPSHOT, UPDATE, curve_client, endpoints, say


class Replica:
    """The local copy: the configuration and the number of the last change it includes."""

    def __init__(self, ctx, ep, name, curve, timeout_s):
        self.ctx, self.ep, self.name, self.curve, self.timeout_s = ctx, ep, name, curve, timeout_s
        self.config: dict[bytes, bytes] = {}
        self.seq = -1
        self.nonce = 0
        self.requester = None

    def fetch_snapshot(self):
        """Ask until a snapshot comes; a new DEALER after each timeout (the server may be down)."""
        while True:
            if self.requester is None:
                self.requester = self.ctx.socket(zmq.DEALER)
                self.requester.linger = 0
                if self.curve:
                    curve_client([self.requester], self.curve)
                self.requester.connect(self.ep["snapshot"])
            self.nonce += 1
            nonce = b"%d" % self.nonce
            self.requester.send_multipart([SNAPSHOT, nonce])
            deadline = time.monotonic() + self.timeout_s
            while self.requester.poll(max(0.0, deadline - time.monotonic()) * 1000):
                kind, got_nonce, seq, *body = self.requester.recv_multipart()
                if kind == SNAPSHOT and got_nonce == nonce:  # not a late answer to an old request
                    self.config = dict(zip(body[::2], body[1::2]))
                    self.seq = int(seq)
                    say(f"{self.name}: snapshot at seq {self.seq}, {len(self.config)} keys")
                    return
            say(f"{self.name}: no snapshot within {self.timeout_s:g} s, asking again")
            self.requester.close()
            self.requester = None

    def on_update(self, msg):
        """Apply one message from the updates socket; fetch a snapshot when one went missing."""
        kind, seq = msg[0], int(msg[1])
        if kind == HEARTBEAT:
            # a heartbeat older than our snapshot may still wait in the queue: only one ahead
            # of us says something is missing
            if seq > self.seq:
                say(f"{self.name}: heartbeat at seq {seq}, have {self.seq}: fetching a snapshot")
                self.fetch_snapshot()
            return
        if kind != UPDATE or seq <= self.seq:
            return  # already in the snapshot
        if seq != self.seq + 1:
            say(f"{self.name}: gap, expected seq {self.seq + 1}, got {seq}: fetching a snapshot")
            self.fetch_snapshot()
            return
        key, value = msg[2], msg[3]
        if value:
            self.config[key] = value
        else:
            self.config.pop(key, None)
        self.seq = seq

    def as_text(self):
        return json.dumps({k.decode(): v.decode() for k, v in self.config.items()}, sort_keys=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", default="tcp://127.0.0.1:5570")
    p.add_argument("--name", default=f"client {os.getpid()}")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--interval", type=float, default=0.05, metavar="S")
    p.add_argument("--until", metavar="KEY")
    p.add_argument("--curve", metavar="KEYDIR", help="the server's KEYDIR (only server.public is read)")
    p.add_argument("--timeout", type=float, default=2.0, metavar="S", help="wait for a snapshot")
    args = p.parse_args()
    ep = endpoints(args.base)
    todo = [tuple(s.encode().split(b"=", 1)) for s in args.set]

    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    push = ctx.socket(zmq.PUSH)
    if args.curve:
        curve_client([sub, push], args.curve)
    sub.subscribe(b"")
    sub.connect(ep["updates"])  # first, so that no change slips between snapshot and updates
    push.connect(ep["collect"])
    replica = Replica(ctx, ep, args.name, args.curve, args.timeout)
    replica.fetch_snapshot()

    pending = list(todo)
    mine = dict(todo)
    applied_said = not todo
    next_push = time.monotonic()
    try:
        while True:
            if pending and time.monotonic() >= next_push:
                key, value = pending.pop(0)
                push.send_multipart([key, value])
                next_push = time.monotonic() + args.interval
            wait = max(0.0, next_push - time.monotonic()) if pending else 1.0
            if sub.poll(wait * 1000):
                replica.on_update(sub.recv_multipart())
            if not applied_said and not pending and all(
                    replica.config.get(k, b"") == v for k, v in mine.items()):
                say(f"{args.name}: all {len(mine)} of my changes applied, at seq {replica.seq}")
                applied_said = True
            if args.until and args.until.encode() in replica.config:
                break
    except KeyboardInterrupt:
        pass
    say(f"{args.name}: final config at seq {replica.seq}: {replica.as_text()}")
    for s in (sub, push, replica.requester):
        if s is not None:
            s.close(linger=0 if s is not push else 1000)
    ctx.term()


if __name__ == "__main__":
    main()
