"""zmqfast.asyncio on an event loop without add_reader: Windows' ProactorEventLoop.

On Windows these run on asyncio.ProactorEventLoop itself (.ci/wine-python runs them with the
official Windows CPython under Wine). Elsewhere there is no Proactor loop; the same tests run on a
selector loop whose add_reader/remove_reader raise NotImplementedError, as the Proactor's do,
standing in for it: the sockets must then be watched by zmqfast.asyncio's selector thread.
"""

import asyncio
import socket
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.zmqfast_only  # zmqfast.asyncio's helper thread, and its stand-in loop

THREAD_NAME = "zmqfast-asyncio-selector"


class NoReaderLoop(asyncio.SelectorEventLoop):
    """A loop that, like the Proactor loop, cannot watch a file descriptor."""

    def add_reader(self, *args):
        raise NotImplementedError

    def remove_reader(self, *args):
        raise NotImplementedError


@pytest.fixture
def proactor(zmq, monkeypatch):
    """A loop without add_reader: the real Proactor loop on Windows, the stand-in elsewhere."""
    if sys.platform == "win32":
        loop = asyncio.ProactorEventLoop()
        yield loop
        loop.close()
        return
    from zmqfast import _core
    import zmqfast.asyncio as aio

    # what zmqfast.asyncio sets up on Windows, where asyncio has ProactorEventLoop
    monkeypatch.setattr(asyncio, "ProactorEventLoop", NoReaderLoop, raising=False)
    _core._aio_setup(asyncio.CancelledError, asyncio.current_task, asyncio.get_running_loop,
                     aio._drive, aio._reader_host)
    loop = NoReaderLoop()
    try:
        yield loop
    finally:
        loop.close()
        _core._aio_setup(asyncio.CancelledError, asyncio.current_task, asyncio.get_running_loop,
                         aio._drive, None)


def selector_threads():
    return [t for t in threading.enumerate() if t.name == THREAD_NAME and t.is_alive()]


def test_the_stand_in_loop_really_has_no_add_reader(proactor):
    with pytest.raises(NotImplementedError):
        proactor.add_reader(0, lambda: None)


def test_recv_and_send_that_wait_work_on_a_loop_without_add_reader(zmq, proactor):
    from zmqfast import asyncio as aio

    async def main():
        c = aio.Context()
        pull = c.socket(zmq.PULL)
        pull.linger = 0
        port = pull.bind_to_random_port("tcp://127.0.0.1")
        push = c.socket(zmq.PUSH)
        push.linger = 0
        push.sndhwm = 10
        pull.rcvhwm = 10
        try:
            # receivers wait first: nothing is queued, so each one parks and the fd watch wakes it
            receivers = [asyncio.ensure_future(pull.recv()) for _ in range(5)]
            await asyncio.sleep(0.05)
            assert not any(r.done() for r in receivers)
            push.connect(f"tcp://127.0.0.1:{port}")
            for i in range(5):
                await push.send(b"%d" % i)
            got = await asyncio.wait_for(asyncio.gather(*receivers), 10)
            assert got == [b"0", b"1", b"2", b"3", b"4"]
            # more than the HWMs hold: senders wait for room, and all arrive in order
            n = 500

            async def send_all():
                for i in range(n):
                    await push.send(b"%d" % i)

            sender = asyncio.ensure_future(send_all())
            out = [await asyncio.wait_for(pull.recv(), 10) for _ in range(n)]
            await sender
            assert out == [b"%d" % i for i in range(n)]
        finally:
            push.close()
            pull.close()
            c.term()

    proactor.run_until_complete(main())


def test_a_message_sent_from_another_thread_wakes_a_waiting_recv(zmq, proactor):
    from zmqfast import asyncio as aio

    ctx = aio.Context()
    pull = ctx.socket(zmq.PULL)
    pull.linger = 0
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    sync_ctx = zmq.Context()
    push = sync_ctx.socket(zmq.PUSH)
    push.linger = 0
    push.connect(f"tcp://127.0.0.1:{port}")

    def later():
        time.sleep(0.3)
        push.send(b"from a thread")

    async def main():
        t = threading.Thread(target=later)
        t.start()
        t0 = time.monotonic()
        try:
            return await asyncio.wait_for(pull.recv(), 10), time.monotonic() - t0
        finally:
            t.join()

    try:
        msg, took = proactor.run_until_complete(main())
    finally:
        push.close()
        sync_ctx.term()
        pull.close()
        ctx.term()
    assert msg == b"from a thread"
    assert took < 3


def test_poller_watches_zmq_sockets_and_plain_sockets(zmq, proactor):
    from zmqfast import asyncio as aio

    async def main():
        c = aio.Context()
        a = c.socket(zmq.PAIR)
        b = c.socket(zmq.PAIR)
        a.linger = b.linger = 0
        a.bind("inproc://proactor-poller")
        b.connect("inproc://proactor-poller")
        r, w = socket.socketpair()
        poller = aio.Poller()
        poller.register(a, zmq.POLLIN)
        poller.register(r, zmq.POLLIN)
        try:
            assert await poller.poll(50) == []  # nothing ready: times out
            waiting = asyncio.ensure_future(poller.poll(10000))
            await asyncio.sleep(0.05)
            w.send(b"!")  # the plain socket first
            ready = dict(await asyncio.wait_for(waiting, 10))
            assert ready == {r.fileno(): zmq.POLLIN}
            r.recv(1)
            waiting = asyncio.ensure_future(poller.poll(10000))
            await asyncio.sleep(0.05)
            await b.send(b"zmq")
            ready = dict(await asyncio.wait_for(waiting, 10))
            assert ready == {a: zmq.POLLIN}
            assert await a.recv() == b"zmq"
        finally:
            r.close()
            w.close()
            a.close()
            b.close()
            c.term()

    proactor.run_until_complete(main())


def test_closing_the_loop_stops_its_selector_thread(zmq, proactor):
    from zmqfast import asyncio as aio

    before = len(selector_threads())

    async def main():
        c = aio.Context()
        s = c.socket(zmq.PULL)
        s.linger = 0
        s.bind("tcp://127.0.0.1:*")
        try:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(s.recv(), 0.1)  # parks: the loop gets its thread
            assert len(selector_threads()) == before + 1
        finally:
            s.close()
            c.term()

    proactor.run_until_complete(main())
    proactor.close()
    deadline = time.monotonic() + 5
    while len(selector_threads()) > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(selector_threads()) == before
