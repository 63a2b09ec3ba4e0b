"""asyncio throughput and latency, zmqfast against pyzmq: python -m bench.asyncio_cases

16-byte PUSH->PULL over tcp with `await recv()` on the receiving side (the sender is a blocking
PUSH in a spawned process), and the REQ/REP round trip with asyncio on both ends of one loop.
"""
import asyncio
import importlib
import multiprocessing as mp
import time

def sender(mod, ep, n):
    zmq = importlib.import_module(mod); c = zmq.Context(); s = c.socket(zmq.PUSH); s.sndhwm = 100000; s.connect(ep)
    for i in range(n): s.send(b"x" * 16)
    s.close(); c.term()
def run(mod, n):
    zmq = importlib.import_module(mod); aio = importlib.import_module(mod + ".asyncio")
    async def main():
        c = aio.Context(); rx = c.socket(zmq.PULL); rx.rcvhwm = 100000; rx.bind("tcp://127.0.0.1:*")
        p = mp.get_context("spawn").Process(target=sender, args=(mod, rx.last_endpoint.decode(), n)); p.start()
        await rx.recv(); t = time.perf_counter()
        for i in range(n - 1): await rx.recv()
        dt = time.perf_counter() - t; p.join(); rx.close(0); c.term(); return (n - 1) / dt
    return asyncio.run(main())
def run_blocking(mod, n):
    """The same workload with the blocking API, for the asyncio/blocking ratio."""
    zmq = importlib.import_module(mod)
    c = zmq.Context(); rx = c.socket(zmq.PULL); rx.rcvhwm = 100000; rx.bind("tcp://127.0.0.1:*")
    p = mp.get_context("spawn").Process(target=sender, args=(mod, rx.last_endpoint.decode(), n)); p.start()
    rx.recv(); t = time.perf_counter()
    for i in range(n - 1): rx.recv()
    dt = time.perf_counter() - t; p.join(); rx.close(0); c.term(); return (n - 1) / dt
def rtt_blocking(mod, n=2000):
    import threading
    zmq = importlib.import_module(mod)
    c = zmq.Context(); rep = c.socket(zmq.REP); rep.bind("tcp://127.0.0.1:*"); req = c.socket(zmq.REQ); req.connect(rep.last_endpoint.decode())
    def server():
        for i in range(n): rep.send(rep.recv())
    th = threading.Thread(target=server); th.start(); ts = []
    for i in range(n):
        t = time.perf_counter(); req.send(b"x"); req.recv(); ts.append(time.perf_counter() - t)
    th.join(); req.close(0); rep.close(0); c.term(); ts.sort(); return ts[len(ts)//2] * 1e6
def rtt(mod, n=2000):
    zmq = importlib.import_module(mod); aio = importlib.import_module(mod + ".asyncio")
    async def main():
        c = aio.Context(); rep = c.socket(zmq.REP); rep.bind("tcp://127.0.0.1:*"); req = c.socket(zmq.REQ); req.connect(rep.last_endpoint.decode())
        async def server():
            for i in range(n): await rep.send(await rep.recv())
        st = asyncio.ensure_future(server()); ts = []
        for i in range(n):
            t = time.perf_counter(); await req.send(b"x"); await req.recv(); ts.append(time.perf_counter() - t)
        await st; req.close(0); rep.close(0); c.term(); ts.sort(); return ts[len(ts)//2] * 1e6
    return asyncio.run(main())
if __name__ == "__main__":
    for rep in range(2):
        a = run("zmqfast", 300000); b = run("zmq", 30000)
        print(f"await recv 16B tcp: zmqfast {a:,.0f}/s  pyzmq {b:,.0f}/s  ratio {a/b:.1f}x")
        blk = run_blocking("zmqfast", 300000)
        print(f"  zmqfast blocking recv, same workload: {blk:,.0f}/s (asyncio/blocking {a/blk:.2f})")
    print(f"asyncio REQ/REP (both ends one loop) median: zmqfast {rtt('zmqfast'):.1f} us  pyzmq {rtt('zmq'):.1f} us"
          f"  (zmqfast blocking, two threads: {rtt_blocking('zmqfast'):.1f} us)")
