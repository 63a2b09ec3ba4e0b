"""asyncio throughput and latency, zmqfast against pyzmq: python -m bench.asyncio_cases [-r N]
(--timeline: only where an asyncio round trip goes)

Throughput: 16-byte PUSH->PULL over tcp, `await recv()` on the receiving side, the sender a
blocking PUSH in a spawned process. "stream": timed while the sender runs (the sender competes for
the 2 cores); "queued": the sender has finished and the messages wait in the receiver's queue, so
only the receive path is timed. Each is compared with zmqfast's blocking recv on the same workload.

Latency: the REQ/REP round trip (median) with asyncio on both ends of one loop, against zmqfast's
blocking round trip with the two ends in two threads, and with both ends in one thread (the same
shape as the one-loop case: every hop wakes the same thread).

Every variant runs once per repeat, interleaved, so ratios are taken within a repeat (the machine
is shared and noisy); the round trips run in five short interleaved rounds per repeat and a
ratio is the median of the per-round ratios. The summary gives the median of each over the
repeats.
"""
import argparse
import asyncio
import importlib
import multiprocessing as mp
import statistics
import threading
import time

MSG = b"x" * 16
HWM = 400000


def _uvloop():
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop


def _run_loop(coro, loop_kind):
    loop = _uvloop().new_event_loop() if loop_kind == "uvloop" else asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def sender(mod, ep, n):
    zmq = importlib.import_module(mod)
    c = zmq.Context()
    s = c.socket(zmq.PUSH)
    s.sndhwm = HWM
    s.connect(ep)
    for _ in range(n):
        s.send(MSG)
    s.close()
    c.term()


def _start_sender(mod, rx, n):
    p = mp.get_context("spawn").Process(target=sender, args=(mod, rx.last_endpoint.decode(), n))
    p.start()
    return p


def _wait_queued(zmq, rx, p):
    """Queued mode: the sender is gone and everything it sent sits in rx's queue."""
    p.join()
    time.sleep(0.3)  # the I/O thread moves what is still in the tcp buffers into the queue


def recv_async(mod, n, queued=False, loop_kind="asyncio"):
    zmq = importlib.import_module(mod)
    aio = importlib.import_module(mod + ".asyncio")

    async def main():
        c = aio.Context()
        rx = c.socket(zmq.PULL)
        rx.rcvhwm = HWM
        rx.bind("tcp://127.0.0.1:*")
        p = _start_sender(mod, rx, n)
        await rx.recv()
        if queued:
            _wait_queued(zmq, rx, p)
        t = time.perf_counter()
        for _ in range(n - 1):
            await rx.recv()
        dt = time.perf_counter() - t
        p.join()
        rx.close(0)
        c.term()
        return (n - 1) / dt
    return _run_loop(main(), loop_kind)


def recv_blocking(mod, n, queued=False):
    zmq = importlib.import_module(mod)
    c = zmq.Context()
    rx = c.socket(zmq.PULL)
    rx.rcvhwm = HWM
    rx.bind("tcp://127.0.0.1:*")
    p = _start_sender(mod, rx, n)
    rx.recv()
    if queued:
        _wait_queued(zmq, rx, p)
    t = time.perf_counter()
    for _ in range(n - 1):
        rx.recv()
    dt = time.perf_counter() - t
    p.join()
    rx.close(0)
    c.term()
    return (n - 1) / dt


def _reqrep(zmq, c):
    rep = c.socket(zmq.REP)
    rep.bind("tcp://127.0.0.1:*")
    req = c.socket(zmq.REQ)
    req.connect(rep.last_endpoint.decode())
    return req, rep


def _median_us(ts):
    ts.sort()
    return ts[len(ts) // 2] * 1e6


def rtt_async(mod, n=2000, loop_kind="asyncio"):
    zmq = importlib.import_module(mod)
    aio = importlib.import_module(mod + ".asyncio")

    async def main():
        c = aio.Context()
        req, rep = _reqrep(zmq, c)

        async def server():
            for _ in range(n + 50):
                await rep.send(await rep.recv())
        st = asyncio.ensure_future(server())
        ts = []
        for i in range(n + 50):
            t = time.perf_counter()
            await req.send(b"x")
            await req.recv()
            if i >= 50:  # warm-up
                ts.append(time.perf_counter() - t)
        await st
        req.close(0)
        rep.close(0)
        c.term()
        return _median_us(ts)
    return _run_loop(main(), loop_kind)


def rtt_blocking_threads(mod, n=2000):
    zmq = importlib.import_module(mod)
    c = zmq.Context()
    req, rep = _reqrep(zmq, c)

    def server():
        for _ in range(n + 50):
            rep.send(rep.recv())
    th = threading.Thread(target=server)
    th.start()
    ts = []
    for i in range(n + 50):
        t = time.perf_counter()
        req.send(b"x")
        req.recv()
        if i >= 50:
            ts.append(time.perf_counter() - t)
    th.join()
    req.close(0)
    rep.close(0)
    c.term()
    return _median_us(ts)


def rtt_blocking_one_thread(mod, n=2000):
    zmq = importlib.import_module(mod)
    c = zmq.Context()
    req, rep = _reqrep(zmq, c)
    ts = []
    for i in range(n + 50):
        t = time.perf_counter()
        req.send(b"x")
        rep.send(rep.recv())
        req.recv()
        if i >= 50:
            ts.append(time.perf_counter() - t)
    req.close(0)
    rep.close(0)
    c.term()
    return _median_us(ts)


def rtt_timeline(n=3000):
    """Where an asyncio round trip goes (default loop, both ends on one loop, tcp): per hop, the
    send, the hop to the loop's wake-up (part of it spent idle in the selector) and the path
    from the selector's return to the woken task holding the message; then the same hops with
    the blocking API in one thread. The timestamps cost a little themselves."""
    import zmqfast as zmq
    import zmqfast.asyncio as aio
    pc = time.perf_counter
    T = {}
    acc = {}

    def add(k, v):
        acc[k] = acc.get(k, 0.0) + v

    async def main():
        loop = asyncio.get_running_loop()
        sel = loop._selector
        orig = sel.select

        def select(timeout=None):
            t = pc()
            r = orig(timeout)
            if r:
                T["idle"], T["wake"] = pc() - t, pc()
            return r
        sel.select = select
        c = aio.Context()
        req, rep = _reqrep(zmq, c)

        async def server():
            for _ in range(n):
                m = await rep.recv()
                t = pc()
                add("1 hop: send -> loop wakes", T["wake"] - T["sent"])
                add("1 hop: ... of it idle in the selector", T["idle"])
                add("1 wake -> task has the message", t - T["wake"])
                await rep.send(m)
                T["sent"] = pc()
                add("1 send (REP)", T["sent"] - t)
        st = asyncio.ensure_future(server())
        for _ in range(n):
            t = pc()
            await req.send(b"x")
            T["sent"] = pc()
            add("0 send (REQ)", T["sent"] - t)
            await req.recv()
            t2 = pc()
            add("2 hop: send -> loop wakes", T["wake"] - T["sent"])
            add("2 hop: ... of it idle in the selector", T["idle"])
            add("2 wake -> task has the message", t2 - T["wake"])
            add("3 round trip", t2 - t)
        await st
        req.close(0)
        rep.close(0)
        c.term()
    asyncio.run(main())
    print("asyncio, one loop (mean us):")
    for k in sorted(acc):
        print(f"  {k[2:]:40} {acc[k] / n * 1e6:6.1f}")
    c = zmq.Context()
    req, rep = _reqrep(zmq, c)
    b = {}
    for _ in range(n):
        t0 = pc()
        req.send(b"x")
        t1 = pc()
        m = rep.recv()
        t2 = pc()
        rep.send(m)
        t3 = pc()
        req.recv()
        t4 = pc()
        for k, v in (("send (REQ)", t1 - t0), ("hop to REP, wake-up included", t2 - t1),
                     ("send (REP)", t3 - t2), ("hop to REQ, wake-up included", t4 - t3),
                     ("round trip", t4 - t0)):
            b[k] = b.get(k, 0.0) + v
    req.close(0)
    rep.close(0)
    c.term()
    print("blocking, one thread (mean us):")
    for k, v in b.items():
        print(f"  {k:40} {v / n * 1e6:6.1f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-r", "--repeat", type=int, default=3)
    ap.add_argument("-n", type=int, default=300000, help="messages per zmqfast throughput run")
    ap.add_argument("--timeline", action="store_true", help="only: where a round trip goes")
    args = ap.parse_args()
    if args.timeline:
        rtt_timeline()
        return
    n = args.n
    uv = _uvloop() is not None
    rows = {}

    def note(key, v):
        rows.setdefault(key, []).append(v)
        return v

    for r in range(args.repeat):
        print(f"-- repeat {r + 1}/{args.repeat}")
        for mode, queued in (("stream", False), ("queued", True)):
            blk = note(f"{mode} blocking", recv_blocking("zmqfast", n, queued))
            a = note(f"{mode} asyncio", recv_async("zmqfast", n, queued))
            line = (f"{mode:6} 16B tcp: zmqfast asyncio {a:>11,.0f}/s  blocking {blk:>11,.0f}/s"
                    f"  asyncio/blocking {note(f'{mode} asyncio/blocking', a / blk):.2f}")
            if uv:
                u = note(f"{mode} uvloop", recv_async("zmqfast", n, queued, "uvloop"))
                line += f"  (uvloop {u:,.0f}/s, {note(f'{mode} uvloop/blocking', u / blk):.2f})"
            print(line)
        b = note("pyzmq asyncio", recv_async("zmq", max(n // 10, 1000)))
        a = rows["stream asyncio"][-1]
        print(f"stream 16B tcp: pyzmq asyncio {b:,.0f}/s  zmqfast/pyzmq {note('zmqfast/pyzmq', a / b):.1f}x")
        # short rounds, interleaved, so that load from elsewhere hits every variant alike
        rounds = {"two": [], "one": [], "aio": [], "uv": []}
        for _ in range(5):
            rounds["two"].append(rtt_blocking_threads("zmqfast", 400))
            rounds["one"].append(rtt_blocking_one_thread("zmqfast", 400))
            rounds["aio"].append(rtt_async("zmqfast", 400))
            if uv:
                rounds["uv"].append(rtt_async("zmqfast", 400, "uvloop"))
        med = {k: statistics.median(v) for k, v in rounds.items() if v}

        def ratio(a, b):
            return statistics.median(x / y for x, y in zip(rounds[a], rounds[b]))
        two = note("rtt blocking 2 threads", med["two"])
        one = note("rtt blocking 1 thread", med["one"])
        a = note("rtt asyncio", med["aio"])
        line = (f"REQ/REP tcp median: zmqfast asyncio one loop {a:.1f} us;  blocking: two threads"
                f" {two:.1f} us (x{note('rtt asyncio/2 threads', ratio('aio', 'two')):.2f}), one thread"
                f" {one:.1f} us (x{note('rtt asyncio/1 thread', ratio('aio', 'one')):.2f})")
        if uv:
            u = note("rtt uvloop", med["uv"])
            line += (f";  uvloop {u:.1f} us (x{note('rtt uvloop/2 threads', ratio('uv', 'two')):.2f},"
                     f" x{note('rtt uvloop/1 thread', ratio('uv', 'one')):.2f})")
        print(line)
        print(f"REQ/REP tcp median: pyzmq asyncio one loop {note('rtt pyzmq asyncio', rtt_async('zmq')):.1f} us")
    print(f"-- median over {args.repeat} repeats")
    for key, vals in rows.items():
        m = statistics.median(vals)
        unit = "us" if key.startswith("rtt") and "/" not in key else ("/s" if "/" not in key else "")
        print(f"  {key:28} {m:>13,.2f} {unit}" if "/" in key else f"  {key:28} {m:>13,.1f} {unit}")


if __name__ == "__main__":
    main()
