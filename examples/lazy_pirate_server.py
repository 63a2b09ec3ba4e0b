"""Reliable request/reply, a deliberately unreliable server for lazy_pirate_client.py.

    python lazy_pirate_server.py [--endpoint tcp://127.0.0.1:5565] [--ignore-every 4] [--crash-after 8]

It echoes each request, except that it ignores every --ignore-every-th one (as if overloaded:
the client sees a timeout) and exits after --crash-after requests (as if it had crashed).
"""

import argparse

import zmqfast as zmq


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", default="tcp://127.0.0.1:5565")
    p.add_argument("--ignore-every", type=int, default=4)
    p.add_argument("--crash-after", type=int, default=8)
    args = p.parse_args()

    ctx = zmq.Context()
    # ROUTER rather than REP: a request that is ignored leaves no half-done exchange behind,
    # and the next request (the client's retry, on a new connection) is answered as usual.
    server = ctx.socket(zmq.ROUTER)
    server.bind(args.endpoint)
    print(f"server: on {args.endpoint}", flush=True)
    for n in range(1, args.crash_after + 1):
        peer, empty, request = server.recv_multipart()
        if n % args.ignore_every == 0:
            print(f"server: ignoring {request.decode()!r} (simulated overload)", flush=True)
            continue
        print(f"server: answering {request.decode()!r}", flush=True)
        server.send_multipart([peer, empty, request])
    print(f"server: crashing after {args.crash_after} requests (simulated)", flush=True)
    server.close(linger=0)
    ctx.term()


if __name__ == "__main__":
    main()
