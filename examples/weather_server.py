"""Publish/subscribe, the publisher: random weather readings for a hundred zip codes.

    python weather_server.py [--endpoint tcp://127.0.0.1:5556] [--seconds 10]

Each update is one string, "<zip> <temperature> <humidity>". The publisher does not know who
listens; subscribers filter by prefix. It stops after --seconds.
"""

import argparse
import random
import time

import zmqfast as zmq


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", default="tcp://127.0.0.1:5556")
    p.add_argument("--seconds", type=float, default=10.0)
    args = p.parse_args()

    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    pub.bind(args.endpoint)
    print(f"weather: publishing on {args.endpoint} for {args.seconds:g} s", flush=True)
    rng = random.Random(1)
    sent = 0
    stop = time.monotonic() + args.seconds
    while time.monotonic() < stop:
        for _ in range(100):
            zipcode = rng.randrange(10000, 10100)
            temperature = rng.randrange(-20, 40)
            humidity = rng.randrange(10, 90)
            pub.send_string(f"{zipcode} {temperature} {humidity}")
        sent += 100
        time.sleep(0.001)  # a real sensor network is not a busy loop
    print(f"weather: sent {sent} updates", flush=True)
    pub.close(linger=0)
    ctx.term()


if __name__ == "__main__":
    main()
