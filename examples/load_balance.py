"""One client, two servers: a REQ socket connected to both spreads its requests over them.

    python load_balance.py [--endpoints tcp://127.0.0.1:5560,tcp://127.0.0.1:5561] [-n 6]

A socket may connect to many endpoints; REQ (like DEALER and PUSH) then sends each request
to the next peer in turn. The client waits until both connections have completed their
handshake (with a socket monitor) so the first requests do not all go to the server that
answered first. The two servers are threads here; they could be any processes anywhere.
"""

import argparse
import threading

import zmqfast as zmq
from zmqfast.utils.monitor import recv_monitor_message


def server(ctx, endpoint, name, ready):
    with ctx.socket(zmq.REP) as rep:
        rep.bind(endpoint)
        ready.release()
        while True:
            try:
                request = rep.recv_string()
            except zmq.ContextTerminated:
                return
            rep.send_string(f"{request}: served by {name}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoints", default="tcp://127.0.0.1:5560,tcp://127.0.0.1:5561")
    p.add_argument("-n", type=int, default=6)
    args = p.parse_args()
    endpoints = args.endpoints.split(",")

    ctx = zmq.Context()
    ready = threading.Semaphore(0)
    servers = [threading.Thread(target=server, args=(ctx, ep, f"server {i + 1}", ready))
               for i, ep in enumerate(endpoints)]
    for t in servers:
        t.start()
    for _ in servers:
        ready.acquire()

    req = ctx.socket(zmq.REQ)
    events = req.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
    for ep in endpoints:
        req.connect(ep)
    for _ in endpoints:
        recv_monitor_message(events)
    req.disable_monitor()
    events.close()
    print(f"client: connected to {len(endpoints)} servers", flush=True)

    served = {}
    for i in range(args.n):
        req.send_string(f"request {i}")
        reply = req.recv_string()
        name = reply.split(": served by ")[1]
        served[name] = served.get(name, 0) + 1
        print(f"client: {reply}", flush=True)
    print(f"client: {args.n} requests, per server {[served[k] for k in sorted(served)]}", flush=True)
    req.close()
    ctx.term()  # the servers' recv raises ContextTerminated, they close, term returns
    for t in servers:
        t.join()


if __name__ == "__main__":
    main()
