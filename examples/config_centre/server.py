"""The configuration centre's server: holds the configuration, numbers and publishes changes.

    python server.py [--base tcp://127.0.0.1:5570] [--curve KEYDIR] [--until KEY]

Any client may push a change; the server gives it the next sequence number, applies it and
publishes it. A client joining (or coming back after a crash) asks for a snapshot, then
follows the published changes from the snapshot's number on. The server keeps no state per
client, so clients may come and go as they like. See common.py for the messages.
"""

import argparse
import json
import time

import zmqfast as zmq
from common import HEARTBEAT, SNAPSHOT, UPDATE, curve_server, endpoints, say


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", default="tcp://127.0.0.1:5570",
                   help="first of three endpoints (see common.endpoints)")
    p.add_argument("--curve", metavar="KEYDIR",
                   help="encrypt and authenticate with CURVE; the key pair lives in KEYDIR")
    p.add_argument("--heartbeat", type=float, default=1.0, metavar="S",
                   help="seconds between heartbeats, which let clients see a lost last update")
    p.add_argument("--until", metavar="KEY",
                   help="exit --grace seconds after KEY is set (default: run until Ctrl-C)")
    p.add_argument("--grace", type=float, default=1.0, metavar="S")
    p.add_argument("--drop-every", type=int, default=0, metavar="N",
                   help="do not publish every Nth change, to exercise the clients' gap recovery")
    args = p.parse_args()
    ep = endpoints(args.base)

    ctx = zmq.Context()
    snapshots = ctx.socket(zmq.ROUTER)
    updates = ctx.socket(zmq.PUB)
    collect = ctx.socket(zmq.PULL)
    if args.curve:
        curve_server([snapshots, updates, collect], args.curve)
    snapshots.bind(ep["snapshot"])
    updates.bind(ep["updates"])
    collect.bind(ep["collect"])
    say(f"server: serving on {ep['snapshot']} (snapshot), {ep['updates']} (updates), "
        f"{ep['collect']} (changes){', with CURVE' if args.curve else ''}")

    config: dict[bytes, bytes] = {}
    seq = 0
    poller = zmq.Poller()
    poller.register(snapshots, zmq.POLLIN)
    poller.register(collect, zmq.POLLIN)
    next_beat = time.monotonic() + args.heartbeat
    stop_at = None
    try:
        while stop_at is None or time.monotonic() < stop_at:
            wait = max(0.0, next_beat - time.monotonic())
            ready = dict(poller.poll(wait * 1000))
            if snapshots in ready:
                peer, request, *rest = snapshots.recv_multipart()
                if request == SNAPSHOT:
                    nonce = rest[0] if rest else b""
                    body = [item for kv in sorted(config.items()) for item in kv]
                    # a client that is gone by now is not an error: ROUTER drops the reply
                    snapshots.send_multipart([peer, SNAPSHOT, nonce, b"%d" % seq, *body])
            if collect in ready:
                msg = collect.recv_multipart()
                if len(msg) != 2:
                    continue  # not a change: ignore rather than crash on a bad client
                key, value = msg
                seq += 1
                if value:
                    config[key] = value
                else:
                    config.pop(key, None)
                if args.drop_every and seq % args.drop_every == 0:
                    say(f"server: change {seq} ({key.decode()}) not published (--drop-every)")
                else:
                    updates.send_multipart([UPDATE, b"%d" % seq, key, value])
                if args.until and key.decode() == args.until and stop_at is None:
                    stop_at = time.monotonic() + args.grace
            if time.monotonic() >= next_beat:
                updates.send_multipart([HEARTBEAT, b"%d" % seq])
                next_beat = time.monotonic() + args.heartbeat
    except KeyboardInterrupt:
        pass
    final = {k.decode(): v.decode() for k, v in sorted(config.items())}
    say(f"server: final config at seq {seq}: {json.dumps(final, sort_keys=True)}")
    for s in (snapshots, updates, collect):
        s.close(linger=0)
    ctx.term()


if __name__ == "__main__":
    main()
