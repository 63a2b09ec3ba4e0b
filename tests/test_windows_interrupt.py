"""A blocking call raises KeyboardInterrupt soon after _thread.interrupt_main().

interrupt_main() sets Python's "SIGINT pending" flag without any OS signal: nothing cuts the
engine's wait short (no EINTR), which is also how Ctrl-C looks to a blocked call on Windows. The
binding sleeps in slices of 100 ms and checks for signals between them, so the call raises within
about a slice. Each test has a rescue: if no KeyboardInterrupt comes, a message (or a peer)
arrives after 5 s and the call returns, and the test fails on the delay instead of hanging.
"""

import _thread
import threading
import time

import pytest

from conftest import make_fast

INTERRUPT_AT = 0.3  # s after the call starts
RESCUE_AT = 5.0
LATE = 1.0  # s after the interrupt: a slice is 100 ms; Wine and a loaded machine add some

# pyzmq (libzmq) sleeps through interrupt_main() until its timeout: zmqfast's own behaviour
pytestmark = pytest.mark.zmqfast_only


def interrupted_after(call, rescue):
    """Run call() with an interrupt at INTERRUPT_AT and rescue() at RESCUE_AT; return how long
    after the interrupt KeyboardInterrupt came."""
    interrupter = threading.Timer(INTERRUPT_AT, _thread.interrupt_main)
    rescuer = threading.Timer(RESCUE_AT, rescue)
    t0 = time.monotonic()
    interrupter.start()
    rescuer.start()
    try:
        try:
            call()
        except KeyboardInterrupt:
            return time.monotonic() - t0 - INTERRUPT_AT
        # returned (rescued): the interrupt still pending lands at the next check
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            time.sleep(0.01)
        pytest.fail("the call returned and no KeyboardInterrupt came")
    except KeyboardInterrupt:
        return time.monotonic() - t0 - INTERRUPT_AT
    finally:
        interrupter.cancel()
        rescuer.cancel()
        interrupter.join()
        rescuer.join()


@pytest.fixture
def pull_and_push(zmq, ctx):
    pull = ctx.socket(zmq.PULL)
    pull.linger = 0
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    push = make_fast(ctx.socket(zmq.PUSH))
    push.connect(f"tcp://127.0.0.1:{port}")
    yield pull, push
    pull.close(linger=0)
    push.close(linger=0)


def test_recv_without_timeout_raises_keyboardinterrupt_soon_after_interrupt_main(pull_and_push):
    pull, push = pull_and_push
    late = interrupted_after(pull.recv, lambda: push.send(b"rescue"))
    assert late < LATE


def test_recv_multipart_with_a_long_timeout_raises_keyboardinterrupt_soon(pull_and_push):
    pull, push = pull_and_push
    pull.rcvtimeo = 20000
    late = interrupted_after(pull.recv_multipart, lambda: push.send(b"rescue"))
    assert late < LATE


def test_socket_poll_raises_keyboardinterrupt_soon_after_interrupt_main(pull_and_push):
    pull, push = pull_and_push
    late = interrupted_after(pull.poll, lambda: push.send(b"rescue"))
    assert late < LATE


def test_poller_poll_for_ever_raises_keyboardinterrupt_soon(zmq, pull_and_push):
    pull, push = pull_and_push
    poller = zmq.Poller()
    poller.register(pull, zmq.POLLIN)
    late = interrupted_after(lambda: poller.poll(-1), lambda: push.send(b"rescue"))
    assert late < LATE


def test_send_blocked_without_peer_raises_keyboardinterrupt_soon(zmq, ctx):
    push = ctx.socket(zmq.PUSH)  # bound, nobody connected: send blocks
    push.linger = 0
    port = push.bind_to_random_port("tcp://127.0.0.1")
    rescuers = []

    def rescue():
        pull = ctx.socket(zmq.PULL)
        pull.linger = 0
        pull.connect(f"tcp://127.0.0.1:{port}")
        rescuers.append(pull)

    try:
        late = interrupted_after(lambda: push.send(b"x"), rescue)
    finally:
        for s in rescuers:
            s.close(linger=0)
        push.close(linger=0)
    assert late < LATE



def test_proxy_steerable_raises_keyboardinterrupt_soon_after_interrupt_main(zmq, ctx):
    # the proxy's loop waits inside the engine: it comes back to the binding once per slice
    front = ctx.socket(zmq.PULL)
    back = ctx.socket(zmq.PUSH)
    control = ctx.socket(zmq.PAIR)
    steer = ctx.socket(zmq.PAIR)
    socks = [front, back, control, steer]
    for s in socks:
        s.linger = 0
    front.bind_to_random_port("tcp://127.0.0.1")
    back.bind_to_random_port("tcp://127.0.0.1")
    control.bind("inproc://interrupt-proxy-control")
    steer.connect("inproc://interrupt-proxy-control")
    try:
        late = interrupted_after(lambda: zmq.proxy_steerable(front, back, None, control),
                                 lambda: steer.send(b"TERMINATE"))
    finally:
        for s in socks:
            s.close(linger=0)
    assert late < LATE
