"""zmqfast.asyncio starts an operation when it is called, as pyzmq's Futures do: code that
creates several receives and awaits them out of order, or sends without awaiting, behaves as on
pyzmq. Every test runs on both implementations (ZMQFAST_IMPL=zmq: pyzmq)."""

import asyncio
import time

import pytest

pytestmark = pytest.mark.timeout(60)


def _run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


@pytest.mark.parametrize("transport", ["inproc", "tcp"])
def test_receives_complete_in_call_order_whatever_order_they_are_awaited(zmq, actx, bind, transport):
    async def main():
        pull = actx.socket(zmq.PULL)
        addr = bind(pull, transport)
        push = actx.socket(zmq.PUSH)
        push.connect(addr)
        futs = [pull.recv() for _ in range(5)]  # all pending: nothing sent yet
        multi = pull.recv_multipart()
        await asyncio.sleep(0.05)
        for i in range(5):
            await push.send(b"m%d" % i)
        await push.send_multipart([b"a", b"b"])
        got = [await f for f in reversed(futs)][::-1]
        assert got == [b"m%d" % i for i in range(5)]
        assert await multi == [b"a", b"b"]
    _run(main())


def test_a_send_nobody_awaits_still_goes_out(zmq, actx, bind):
    async def main():
        pull = actx.socket(zmq.PULL)
        addr = bind(pull, "tcp")
        push = actx.socket(zmq.PUSH)
        push.connect(addr)
        push.send(b"fire and forget")  # not awaited, as pyzmq code sometimes does
        push.send_multipart([b"x", b"y"])
        assert await asyncio.wait_for(pull.recv(), 5) == b"fire and forget"
        assert await asyncio.wait_for(pull.recv_multipart(), 5) == [b"x", b"y"]
    _run(main())


def test_a_queued_send_goes_out_in_order_when_room_appears(zmq, actx, bind):
    async def main():
        pull = actx.socket(zmq.PULL)
        pull.setsockopt(zmq.RCVHWM, 1)
        addr = bind(pull, "inproc")
        push = actx.socket(zmq.PUSH)
        push.setsockopt(zmq.SNDHWM, 1)
        push.connect(addr)
        sends = [push.send(b"%d" % i) for i in range(20)]  # most cannot go yet
        got = [await pull.recv() for _ in range(20)]
        assert got == [b"%d" % i for i in range(20)]
        for s in sends:
            await s
    _run(main())


def test_rcvtimeo_counts_from_the_call(zmq, actx, bind):
    async def main():
        pull = actx.socket(zmq.PULL)
        pull.setsockopt(zmq.RCVTIMEO, 200)
        bind(pull, "tcp")
        fut = pull.recv()
        await asyncio.sleep(0.3)  # the timeout runs meanwhile
        t0 = time.monotonic()
        with pytest.raises(zmq.Again):
            await fut
        assert time.monotonic() - t0 < 0.15
    _run(main())


def test_a_cancelled_receive_takes_nothing(zmq, actx, bind):
    async def main():
        pull = actx.socket(zmq.PULL)
        addr = bind(pull, "inproc")
        push = actx.socket(zmq.PUSH)
        push.connect(addr)
        first = asyncio.ensure_future(pull.recv())
        second = pull.recv()
        await asyncio.sleep(0.01)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        await push.send(b"only")
        assert await asyncio.wait_for(second, 5) == b"only"
    _run(main())


def test_gather_of_receives_keeps_call_order(zmq, actx, bind):
    async def main():
        pull = actx.socket(zmq.PULL)
        addr = bind(pull, "tcp")
        push = actx.socket(zmq.PUSH)
        push.connect(addr)
        g = asyncio.gather(*[pull.recv() for _ in range(10)])
        for i in range(10):
            await push.send(b"%d" % i)
        assert await g == [b"%d" % i for i in range(10)]
    _run(main())
