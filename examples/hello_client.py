"""Request/reply, the client half: a REQ socket sends "Hello" and waits for each answer.

    python hello_client.py [--endpoint tcp://127.0.0.1:5555] [-n 5]

REQ enforces the rhythm send, recv, send, recv: a second send before the reply raises.
Connecting before the server is up is fine: the connection is made when the server appears.
"""

import argparse

import zmqfast as zmq


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", default="tcp://127.0.0.1:5555")
    p.add_argument("-n", type=int, default=5, help="requests to send")
    args = p.parse_args()

    with zmq.Context() as ctx, ctx.socket(zmq.REQ) as req:
        req.connect(args.endpoint)
        for i in range(args.n):
            req.send(b"Hello")
            reply = req.recv()
            print(f"client: request {i + 1} -> {reply.decode()!r}", flush=True)


if __name__ == "__main__":
    main()
