"""Reliable request/reply on the client side ("lazy pirate"): time out, reconnect, retry.

    python lazy_pirate_client.py [--endpoint tcp://127.0.0.1:5565] [-n 10] [--timeout-ms 500] [--retries 3]

A REQ socket that never gets its reply is stuck: it may not send again. So the client polls
with a timeout instead of blocking in recv; when the time is up it throws the socket away
(LINGER 0, so the unsent request goes too), opens a new one and sends the request again. After
--retries failed attempts it decides the server is gone and gives up.
"""

import argparse
import sys

import zmqfast as zmq


def new_socket(ctx, endpoint):
    req = ctx.socket(zmq.REQ)
    req.linger = 0
    req.connect(endpoint)
    return req


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", default="tcp://127.0.0.1:5565")
    p.add_argument("-n", type=int, default=10, help="requests to send")
    p.add_argument("--timeout-ms", type=int, default=500)
    p.add_argument("--retries", type=int, default=3)
    args = p.parse_args()

    ctx = zmq.Context()
    req = new_socket(ctx, args.endpoint)
    poller = zmq.Poller()  # one socket here; a real client often waits on several
    poller.register(req, zmq.POLLIN)
    for seq in range(1, args.n + 1):
        request = str(seq).encode()
        for attempt in range(1, args.retries + 1):
            req.send(request)
            if poller.poll(args.timeout_ms):  # [] when the time is up
                reply = req.recv()
                assert reply == request, (reply, request)
                print(f"client: request {seq} answered", flush=True)
                break
            last = attempt == args.retries
            print(f"client: no reply to request {seq} (attempt {attempt}/{args.retries})"
                  + ("" if last else ", reconnecting"), flush=True)
            poller.unregister(req)
            req.close()
            req = new_socket(ctx, args.endpoint)
            poller.register(req, zmq.POLLIN)
        else:
            print("client: the server seems to be offline, abandoning", flush=True)
            req.close()
            ctx.term()
            return 1
    req.close()
    ctx.term()
    print(f"client: all {args.n} requests answered", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
