"""A parallel pipeline: a ventilator hands out tasks, workers do them, a sink collects results.

    python pipeline.py [--workers 3] [--tasks 60] [--base tcp://127.0.0.1:5557]
    python pipeline.py ventilator|worker|sink [...]      one role per process, by hand

PUSH spreads messages over its connected PULL peers in turn and PULL fair-queues them, so
adding workers adds throughput without changing any other part. With no role given, the
program starts the sink and the workers as separate processes, then ventilates itself.

When the tasks are out, the ventilator sends one "done" per worker, which PUSH deals out
in turn like the tasks: each worker gets one and stops. (A PUB "stop" from the sink would
miss a worker whose subscription is still on its way.) Endpoints derive from --base:
tcp://host:P is tasks on P and results on P+1; any other endpoint gets suffixes
(ipc:///tmp/p -> ipc:///tmp/p-tasks, ipc:///tmp/p-results).
"""

import argparse
import os
import subprocess
import sys
import time

import zmqfast as zmq
from zmqfast.utils.monitor import recv_monitor_message


def say(line):
    """One write per line: the processes share the terminal (or the pipe) and must not mix."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def endpoints(base):
    if base.startswith("tcp://"):
        host, port = base.rsplit(":", 1)
        return {name: f"{host}:{int(port) + i}" for i, name in enumerate(("tasks", "results"))}
    return {name: f"{base}-{name}" for name in ("tasks", "results")}


def ventilator(ep, workers, tasks):
    ctx = zmq.Context()
    push = ctx.socket(zmq.PUSH)
    # A PUSH socket sends to the peers it has: a task sent while one worker is connected goes
    # to that worker. Watch the handshakes and start only when every worker is there.
    events = push.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
    push.bind(ep["tasks"])
    for n in range(workers):
        recv_monitor_message(events)
        say(f"ventilator: worker {n + 1}/{workers} connected")
    push.disable_monitor()
    events.close()
    total_ms = 0
    for i in range(tasks):
        ms = 1 + i % 10
        total_ms += ms
        push.send_string(f"{i} {ms}")
    for _ in range(workers):
        push.send_string("done")  # dealt out in turn like the tasks: one to each worker
    say(f"ventilator: sent {tasks} tasks, {total_ms} ms of work in all, and {workers} stops")
    push.close()  # linger: the close waits until the queued tasks are out
    ctx.term()


def worker(ep):
    ctx = zmq.Context()
    tasks = ctx.socket(zmq.PULL)
    tasks.connect(ep["tasks"])
    results = ctx.socket(zmq.PUSH)
    results.connect(ep["results"])
    me, done = os.getpid(), 0
    while True:
        task = tasks.recv_string()
        if task == "done":
            break
        number, ms = task.split()
        time.sleep(int(ms) / 1000)  # the "work"
        results.send_string(f"{number} {me}")
        done += 1
    say(f"worker {me}: did {done} tasks")
    tasks.close()
    results.close()  # linger: the last result still goes out
    ctx.term()


def sink(ep, expected):
    ctx = zmq.Context()
    results = ctx.socket(zmq.PULL)
    results.bind(ep["results"])
    per_worker, seen = {}, set()
    while len(seen) < expected:
        number, pid = results.recv_string().split()
        if not seen:
            started = time.monotonic()  # the clock runs from the first result
        seen.add(int(number))
        per_worker[pid] = per_worker.get(pid, 0) + 1
    took = time.monotonic() - started
    say(f"sink: {expected} results in {took * 1000:.0f} ms from {len(per_worker)} workers: "
          + ", ".join(str(n) for n in sorted(per_worker.values())))
    results.close()
    ctx.term()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("role", nargs="?", choices=("ventilator", "worker", "sink"))
    p.add_argument("--workers", type=int, default=3)
    p.add_argument("--tasks", type=int, default=60, help="tasks to send (ventilator), to expect (sink)")
    p.add_argument("--base", default="tcp://127.0.0.1:5557")
    args = p.parse_args()
    ep = endpoints(args.base)
    if args.role == "ventilator":
        return ventilator(ep, args.workers, args.tasks)
    if args.role == "worker":
        return worker(ep)
    if args.role == "sink":
        return sink(ep, args.tasks)

    me = [sys.executable, os.path.abspath(__file__), "--base", args.base]
    children = [subprocess.Popen(me + ["sink", "--tasks", str(args.tasks)])]
    children += [subprocess.Popen(me + ["worker"]) for _ in range(args.workers)]
    ventilator(ep, args.workers, args.tasks)
    for c in children:
        c.wait(timeout=60)
    say("pipeline: all processes finished")


if __name__ == "__main__":
    main()
