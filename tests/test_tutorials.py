"""zguide programs, run unchanged against the implementation under test (and against pyzmq with
ZMQFAST_IMPL=zmq). The programs of examples/ are run by tests/test_examples.py."""

import threading
import time


def test_ventilator_workers_sink_spread_tasks_evenly(zmq, ctx, fast):
    vent = fast(ctx.socket(zmq.PUSH))
    vport = vent.bind_to_random_port("tcp://127.0.0.1")
    sink = fast(ctx.socket(zmq.PULL))
    sport = sink.bind_to_random_port("tcp://127.0.0.1")
    done = {}
    ready = threading.Barrier(4)

    def worker(name):
        tasks = fast(ctx.socket(zmq.PULL), 500)
        results = fast(ctx.socket(zmq.PUSH))
        tasks.connect(f"tcp://127.0.0.1:{vport}")
        results.connect(f"tcp://127.0.0.1:{sport}")
        results.send(b"ready")
        ready.wait()
        n = 0
        while True:
            try:
                task = tasks.recv()
            except zmq.Again:
                break
            results.send(task)
            n += 1
        done[name] = n
        tasks.close()
        results.close()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
    for w in workers:
        w.start()
    for _ in range(3):
        assert sink.recv() == b"ready"
    ready.wait()
    # all three workers are connected to the ventilator once the sink heard from them? Not
    # quite: their task sockets connect first, and connections complete in the background.
    deadline = time.monotonic() + 5
    while vent.poll(0, zmq.POLLOUT) == 0:
        assert time.monotonic() < deadline
    time.sleep(0.2)
    for i in range(100):
        vent.send(b"%d" % i)
    got = sorted(int(sink.recv()) for _ in range(100))
    for w in workers:
        w.join(5)
    assert got == list(range(100))
    assert sum(done.values()) == 100
    assert all(30 <= n <= 37 for n in done.values()), done


def test_broker_on_proxy_with_req_clients_and_rep_workers(zmq, ctx, fast):
    frontend = fast(ctx.socket(zmq.ROUTER))
    frontend.bind("inproc://broker-fe")
    backend = fast(ctx.socket(zmq.DEALER))
    backend.bind("inproc://broker-be")
    control = fast(ctx.socket(zmq.PAIR))
    control.bind("inproc://broker-ctl")
    broker = threading.Thread(target=zmq.proxy_steerable, args=(frontend, backend, None, control))
    broker.start()

    def work(tag):
        w = fast(ctx.socket(zmq.REP), 500)
        w.connect("inproc://broker-be")
        try:
            while True:
                w.send(w.recv() + tag)
        except zmq.Again:
            pass
        w.close()

    workers = [threading.Thread(target=work, args=(b"-%d" % i,)) for i in range(2)]
    for w in workers:
        w.start()
    client = fast(ctx.socket(zmq.REQ))
    client.connect("inproc://broker-fe")
    replies = []
    for i in range(10):
        client.send(b"job%d" % i)
        replies.append(client.recv())
    assert [r.split(b"-")[0] for r in replies] == [b"job%d" % i for i in range(10)]
    stop = fast(ctx.socket(zmq.PAIR))
    stop.connect("inproc://broker-ctl")
    stop.send(b"TERMINATE")
    broker.join(5)
    for w in workers:
        w.join(5)
