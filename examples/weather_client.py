"""Publish/subscribe, a subscriber: the average temperature of one zip code.

    python weather_client.py [--endpoint tcp://127.0.0.1:5556] [--zip 10042] [-n 20]

The subscription is a prefix filter, applied by the publisher for tcp and ipc peers, so
other zip codes never cross the network. The trailing space keeps "10042" from matching
"100421". The first updates after connecting may be missed: a subscriber only gets what is
published after its subscription has reached the publisher.
"""

import argparse

import zmqfast as zmq


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", default="tcp://127.0.0.1:5556")
    p.add_argument("--zip", default="10042")
    p.add_argument("-n", type=int, default=20, help="updates to average")
    args = p.parse_args()

    with zmq.Context() as ctx, ctx.socket(zmq.SUB) as sub:
        sub.connect(args.endpoint)
        sub.subscribe(f"{args.zip} ")
        sub.rcvtimeo = 10_000  # give up if the publisher is not there
        print(f"client: collecting {args.n} updates for zip {args.zip}", flush=True)
        temps = []
        for _ in range(args.n):
            zipcode, temperature, _humidity = sub.recv_string().split()
            assert zipcode == args.zip, zipcode  # the filter did its job
            temps.append(int(temperature))
        print(f"client: average temperature for zip {args.zip} was {sum(temps) / len(temps):.1f} C"
              f" over {len(temps)} updates", flush=True)


if __name__ == "__main__":
    main()
