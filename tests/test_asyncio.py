"""zmqfast.asyncio: pyzmq's asyncio API."""

import asyncio
import importlib
import random
import threading

import pytest

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def aio(zmq):
    return importlib.import_module(zmq.__name__ + ".asyncio")


@pytest.fixture
def actx(aio):
    c = aio.Context()
    yield c
    c.destroy(linger=0)


def _pair(zmq, actx, a=None, b=None, addr="inproc://aio"):
    s1 = actx.socket(a or zmq.PUSH)
    s2 = actx.socket(b or zmq.PULL)
    s2.bind(addr)
    s1.connect(addr)
    return s1, s2


def test_every_send_recv_kind(zmq, aio, actx):
    async def main():
        tx, rx = _pair(zmq, actx)
        await tx.send(b"bytes")
        assert await rx.recv() == b"bytes"
        await tx.send_multipart([b"a", b"b"])
        assert await rx.recv_multipart() == [b"a", b"b"]
        await tx.send_string("text")
        assert await rx.recv_string() == "text"
        await tx.send_json({"k": [1, 2]})
        assert await rx.recv_json() == {"k": [1, 2]}
        await tx.send_pyobj((1, "x"))
        assert await rx.recv_pyobj() == (1, "x")
        await tx.send_serialized([b"s"], lambda m: m)
        assert await rx.recv_serialized(lambda m: m) == [b"s"]
        frame = await asyncio.wait_for(_later_recv(tx, rx, zmq), 5)
        assert frame == b"later"
    asyncio.run(main())


async def _later_recv(tx, rx, zmq):
    # from a loop callback, with the blocking API
    asyncio.get_running_loop().call_later(0.05, lambda: zmq.Socket.send(tx, b"later"))
    return await rx.recv()


def test_rcvtimeo_raises_again(zmq, aio, actx):
    async def main():
        _tx, rx = _pair(zmq, actx)
        rx.rcvtimeo = 50
        with pytest.raises(zmq.Again):
            await rx.recv()
    asyncio.run(main())


def test_cancelled_recv_loses_nothing(zmq, aio, actx):
    async def main():
        tx, rx = _pair(zmq, actx)
        task = asyncio.ensure_future(rx.recv())
        await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await tx.send(b"kept")
        assert await asyncio.wait_for(rx.recv(), 5) == b"kept"
    asyncio.run(main())


def test_closing_with_a_pending_recv_fails_the_awaiter(zmq, aio, actx):
    async def main():
        _tx, rx = _pair(zmq, actx)
        task = asyncio.ensure_future(rx.recv())
        await asyncio.sleep(0.02)
        rx.close(linger=0)
        with pytest.raises((zmq.ZMQError, asyncio.CancelledError)):  # pyzmq cancels it
            await asyncio.wait_for(task, 5)
    asyncio.run(main())


def test_poller_is_awaitable(zmq, aio, actx):
    async def main():
        tx, rx = _pair(zmq, actx)
        p = aio.Poller()
        p.register(rx, zmq.POLLIN)
        assert await p.poll(10) == []
        asyncio.get_running_loop().call_later(0.05, lambda: zmq.Socket.send(tx, b"x"))
        assert await p.poll(5000) == [(rx, zmq.POLLIN)]
        assert await rx.poll(0) == zmq.POLLIN
    asyncio.run(main())


def test_many_concurrent_receivers_and_senders(zmq, aio, actx):
    async def main():
        tx, rx = _pair(zmq, actx)
        got = []

        async def receiver():
            for _ in range(100):
                got.append(await rx.recv())

        async def sender(i):
            for j in range(100):
                await tx.send(b"%d-%d" % (i, j))
                await asyncio.sleep(0)

        await asyncio.wait_for(asyncio.gather(*[receiver() for _ in range(5)],
                                              *[sender(i) for i in range(5)]), 20)
        assert sorted(got) == sorted(b"%d-%d" % (i, j) for i in range(5) for j in range(100))
    asyncio.run(main())


def test_no_missed_wakeup_under_random_bursts(zmq, aio, actx):
    total = 200_000
    ctx = actx

    async def main():
        rx = ctx.socket(zmq.PULL)
        rx.bind("inproc://bursts")
        tx = ctx.socket(zmq.PUSH)  # driven from another thread, with pauses
        tx.connect("inproc://bursts")

        send = zmq.Socket.send  # the blocking API: this thread has no event loop

        def produce():
            rnd = random.Random(7)
            sent = 0
            while sent < total:
                n = min(rnd.randint(1, 50), total - sent)
                for _ in range(n):
                    send(tx, b"m")
                sent += n
                if rnd.random() < 0.02:
                    threading.Event().wait(rnd.random() / 1000)

        t = threading.Thread(target=produce)
        t.start()
        n = 0
        while n < total:
            await rx.recv()  # no wait_for: a missed wake-up hangs here (pytest-timeout fails it)
            n += 1
        t.join()
        tx.close(linger=0)
        rx.close(linger=0)
    asyncio.run(main())


def test_interop_with_a_libzmq_peer(zmq, pyzmq, aio, actx, pctx):
    async def main():
        rx = actx.socket(zmq.PULL)
        rx.bind("tcp://127.0.0.1:*")
        peer = pctx.socket(pyzmq.PUSH)
        peer.linger = 0
        peer.connect(rx.last_endpoint.decode())
        for i in range(100):
            peer.send(b"%d" % i)
        got = [await asyncio.wait_for(rx.recv(), 5) for _ in range(100)]
        assert got == [b"%d" % i for i in range(100)]
    asyncio.run(main())
