"""PAIR sockets over inproc: threads that signal each other when their step is done.

    python pair_threads.py [--steps 3]

Each step runs in its own thread and tells the next one "ready" through a PAIR socket; the
main thread waits for the last signal. PAIR connects exactly two sockets, which is what a
signal between two threads needs. For inproc, bind before or after connect: both work.
"""

import argparse
import threading

import zmqfast as zmq


def step(ctx, index, last):
    """Wait for the previous step's signal (the first step has none), then signal the next."""
    if index > 1:
        with ctx.socket(zmq.PAIR) as prev:
            prev.bind(f"inproc://step{index}")
            print(f"step {index}: got {prev.recv_string()!r} from step {index - 1}", flush=True)
    with ctx.socket(zmq.PAIR) as nxt:
        nxt.connect("inproc://done" if index == last else f"inproc://step{index + 1}")
        print(f"step {index}: working, then signalling", flush=True)
        nxt.send_string(f"ready from {index}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=3)
    args = p.parse_args()

    ctx = zmq.Context()  # inproc only works between sockets of the same context
    done = ctx.socket(zmq.PAIR)
    done.bind("inproc://done")
    threads = [threading.Thread(target=step, args=(ctx, i, args.steps))
               for i in range(args.steps, 0, -1)]  # started last to first, on purpose
    for t in threads:
        t.start()
    print(f"main: {done.recv_string()!r}; all {args.steps} steps done", flush=True)
    for t in threads:
        t.join()
    done.close()
    ctx.term()


if __name__ == "__main__":
    main()
