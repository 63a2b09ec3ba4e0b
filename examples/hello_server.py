"""Request/reply, the server half: a REP socket answers every "Hello" with "World".

    python hello_server.py [--endpoint tcp://127.0.0.1:5555] [-n 5]

Start it, then hello_client.py in another terminal. It stops after -n requests.
"""

import argparse
import time

import zmqfast as zmq


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", default="tcp://127.0.0.1:5555")
    p.add_argument("-n", type=int, default=5, help="requests to answer before exiting")
    args = p.parse_args()

    ctx = zmq.Context()
    rep = ctx.socket(zmq.REP)
    rep.bind(args.endpoint)
    print(f"server: listening on {args.endpoint}", flush=True)
    for _ in range(args.n):
        request = rep.recv()
        print(f"server: got {request.decode()!r}", flush=True)
        time.sleep(0.01)  # stand-in for real work
        rep.send(b"World")  # REP answers the peer the request came from, by itself
    print("server: done", flush=True)
    rep.close()
    ctx.term()


if __name__ == "__main__":
    main()
