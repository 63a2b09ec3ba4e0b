"""zmqfast.asyncio: pyzmq's asyncio API."""

import asyncio
import random
import threading

import pytest

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request):
    """Run a coroutine to completion on a fresh loop: the default one, or uvloop's (skipped when
    uvloop is not installed)."""
    if request.param == "uvloop":
        uvloop = pytest.importorskip("uvloop")
        factory = uvloop.new_event_loop
    else:
        factory = asyncio.new_event_loop

    def run(coro):
        loop = factory()
        try:
            return loop.run_until_complete(coro)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
    return run


def _start(awaitable):
    """A task awaiting awaitable, started: the receive is really pending once the loop ran."""
    async def wait():
        return await awaitable
    return asyncio.ensure_future(wait())


def test_every_send_recv_kind(zmq, aio, actx, run, connected):
    async def main():
        rx, tx = connected("PULL", "PUSH", context=actx, setup=None)
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
    run(main())


async def _later_recv(tx, rx, zmq):
    # from a loop callback, with the blocking API
    asyncio.get_running_loop().call_later(0.05, lambda: zmq.Socket.send(tx, b"later"))
    return await rx.recv()


def test_rcvtimeo_raises_again(zmq, aio, actx, run, connected):
    async def main():
        rx, _tx = connected("PULL", "PUSH", context=actx, setup=None)
        rx.rcvtimeo = 50
        with pytest.raises(zmq.Again):
            await rx.recv()
    run(main())


def test_cancelled_recv_loses_nothing(zmq, aio, actx, run, connected):
    async def main():
        rx, tx = connected("PULL", "PUSH", context=actx, setup=None)
        task = _start(rx.recv())
        await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await tx.send(b"kept")
        assert await asyncio.wait_for(rx.recv(), 5) == b"kept"
    run(main())


def test_closing_with_a_pending_recv_fails_the_awaiter(zmq, aio, actx, run, connected):
    async def main():
        rx, _tx = connected("PULL", "PUSH", context=actx, setup=None)
        task = _start(rx.recv())
        await asyncio.sleep(0.02)
        rx.close(linger=0)
        with pytest.raises((zmq.ZMQError, asyncio.CancelledError)):  # pyzmq cancels it
            await asyncio.wait_for(task, 5)
    run(main())


def test_poller_is_awaitable(zmq, aio, actx, run, connected):
    async def main():
        rx, tx = connected("PULL", "PUSH", context=actx, setup=None)
        p = aio.Poller()
        p.register(rx, zmq.POLLIN)
        assert await p.poll(10) == []
        asyncio.get_running_loop().call_later(0.05, lambda: zmq.Socket.send(tx, b"x"))
        assert await p.poll(5000) == [(rx, zmq.POLLIN)]
        assert await rx.poll(0) == zmq.POLLIN
    run(main())


def test_many_concurrent_receivers_and_senders(zmq, aio, actx, run, connected):
    async def main():
        rx, tx = connected("PULL", "PUSH", context=actx, setup=None)
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
    run(main())


def test_no_missed_wakeup_under_random_bursts(zmq, aio, actx, run):
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
    run(main())


def test_interop_with_a_libzmq_peer(zmq, pyzmq, aio, actx, pctx, run):
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
    run(main())


def test_timed_out_waits_lose_nothing_and_keep_order(zmq, aio, actx, run, connected):
    async def main():
        rx, tx = connected("PULL", "PUSH", context=actx, setup=None)
        for _ in range(40):  # many waiters given up (cancelled by wait_for) with nothing queued
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(rx.recv(), 0.001)
        for i in range(100):
            await tx.send(b"%d" % i)
        got = [await asyncio.wait_for(rx.recv(), 5) for _ in range(100)]
        assert got == [b"%d" % i for i in range(100)]
    run(main())


def test_rcvtimeo_then_the_socket_works_on(zmq, aio, actx, run, connected):
    async def main():
        rx, tx = connected("PULL", "PUSH", context=actx, setup=None)
        rx.rcvtimeo = 20
        with pytest.raises(zmq.Again):
            await rx.recv_multipart()
        await tx.send_multipart([b"a", b"b"])
        assert await rx.recv_multipart() == [b"a", b"b"]
    run(main())


def test_reading_events_does_not_swallow_a_wakeup(zmq, aio, actx, run, connected):
    # get(EVENTS) drains the fd a parked recv relies on; the message must still be delivered
    async def main():
        rx, tx = connected("PULL", "PUSH", context=actx, setup=None)
        task = _start(rx.recv())
        await asyncio.sleep(0.02)  # parked now
        zmq.Socket.send(tx, b"m")  # blocking API, inproc: raises rx's fd right here
        time_ = asyncio.get_running_loop().time()
        while rx.get(zmq.EVENTS) & zmq.POLLIN == 0 and asyncio.get_running_loop().time() - time_ < 5:
            pass  # wait until the message is there, draining the fd each time we look
        assert await asyncio.wait_for(task, 5) == b"m"
    run(main())


def test_poller_and_recv_on_the_same_socket(zmq, aio, actx, run, connected):
    async def main():
        rx, tx = connected("PULL", "PUSH", context=actx, setup=None)
        task = _start(rx.recv())
        p = aio.Poller()
        p.register(rx, zmq.POLLIN)
        # the recv may take the message before the poller looks, so the poll may end by its
        # timeout: that timeout is well inside the wait for it (equal ones raced under load)
        polled = asyncio.ensure_future(p.poll(1000))
        await asyncio.sleep(0.02)
        await tx.send(b"one")
        assert await asyncio.wait_for(task, 5) == b"one"
        await asyncio.wait_for(polled, 10)
        await tx.send(b"two")  # the recv side still wakes up after the poller is gone
        assert await asyncio.wait_for(rx.recv(), 5) == b"two"
    run(main())


def test_send_waits_for_room_at_the_hwm(zmq, aio, actx, run):
    async def main():
        tx = actx.socket(zmq.PUSH)
        tx.sndhwm = 10
        tx.bind("inproc://hwm")
        rx = actx.socket(zmq.PULL)
        rx.rcvhwm = 10
        rx.connect("inproc://hwm")

        async def produce():
            for i in range(500):
                await tx.send(b"%d" % i)

        prod = asyncio.ensure_future(produce())
        got = [await asyncio.wait_for(rx.recv(), 5) for _ in range(500)]
        await asyncio.wait_for(prod, 5)
        assert got == [b"%d" % i for i in range(500)]
    run(main())


def test_reqrep_on_one_loop_over_tcp(zmq, aio, actx, run):
    async def main():
        rep = actx.socket(zmq.REP)
        rep.bind("tcp://127.0.0.1:*")
        req = actx.socket(zmq.REQ)
        req.connect(rep.last_endpoint.decode())

        async def server():
            for _ in range(200):
                await rep.send(await rep.recv())

        st = asyncio.ensure_future(server())
        for i in range(200):
            await req.send(b"%d" % i)
            assert await asyncio.wait_for(req.recv(), 5) == b"%d" % i
        await asyncio.wait_for(st, 5)
        req.close(linger=0)
        rep.close(linger=0)
    run(main())


@pytest.mark.zmqfast_only
def test_context_terminated_elsewhere_fails_a_parked_recv(zmq, aio, run):
    # pyzmq's awaiter does not get ETERM (its fd callback hits it; the recv waits on)
    async def main():
        ctx = aio.Context()
        rx = ctx.socket(zmq.PULL)
        rx.bind("inproc://eterm")
        task = _start(rx.recv())
        await asyncio.sleep(0.02)
        t = threading.Thread(target=ctx.term)
        t.start()
        with pytest.raises(zmq.ContextTerminated):
            await asyncio.wait_for(task, 5)
        rx.close(linger=0)
        t.join(5)
        assert not t.is_alive()
    run(main())


def test_what_send_and_recv_return_works_as_a_future(zmq, aio, actx, run, connected):
    # pyzmq returns Futures: asyncio.wait, gather, add_done_callback and cancel must work
    async def main():
        rx, tx = connected("PULL", "PUSH", context=actx, setup=None)
        op = rx.recv()
        assert asyncio.isfuture(op) and not asyncio.iscoroutine(op)
        await tx.send(b"w")
        done, _ = await asyncio.wait([op], timeout=5)
        assert done == {op} and op.result() == b"w"
        got = []
        fut = rx.recv()
        fut.add_done_callback(lambda f: got.append(f.result()))
        await tx.send(b"cb")
        assert await asyncio.wait_for(fut, 5) == b"cb"
        await asyncio.sleep(0)
        assert got == [b"cb"]
        sends = [tx.send(b"%d" % i) for i in range(3)]
        await asyncio.gather(*sends)
        assert await asyncio.gather(rx.recv(), rx.recv(), rx.recv()) == [b"0", b"1", b"2"]
        pending = rx.recv()
        assert not pending.done()
        await asyncio.sleep(0.01)
        assert pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
        await tx.send(b"after")
        assert await asyncio.wait_for(rx.recv(), 5) == b"after"
    run(main())


@pytest.mark.zmqfast_only
def test_a_wakeup_from_inside_a_task_is_deferred(zmq, aio, actx, run, connected):
    # a loop nested in a task (nest_asyncio) runs fd callbacks while a task is current: the
    # woken task must then be resumed through call_soon, not entered from inside the other one
    from zmqfast import _core

    async def main():
        rx, tx = connected("PULL", "PUSH", context=actx, setup=None)
        task = _start(rx.recv())
        await asyncio.sleep(0.02)
        zmq.Socket.send(tx, b"m")
        _core._aio_on_fd(rx, rx._rwait, rx._wwait)  # as the nested loop would, from this task
        assert await asyncio.wait_for(task, 5) == b"m"
    run(main())
