"""Context: instance(), io_threads, term, default socket options, unsupported socket types."""

import importlib
import os
import threading

import pytest

ZMQFAST = os.environ.get("ZMQFAST_IMPL", "zmqfast") == "zmqfast"


def test_instance_is_a_process_wide_singleton(zmq):
    a = zmq.Context.instance()
    b = zmq.Context.instance()
    assert a is b
    assert isinstance(a, zmq.Context)
    seen = []
    t = threading.Thread(target=lambda: seen.append(zmq.Context.instance()))
    t.start()
    t.join()
    assert seen == [a]


def test_instance_is_replaced_after_it_is_terminated(zmq):
    a = zmq.Context.instance()
    a.term()
    b = zmq.Context.instance()
    assert b is not a
    assert not b.closed
    s = b.socket(zmq.PAIR)
    s.close()


def test_io_threads_is_readable_and_settable(zmq):
    c = zmq.Context(io_threads=2)
    try:
        assert c.get(zmq.IO_THREADS) == 2
        assert c.io_threads == 2
        c.set(zmq.IO_THREADS, 3)
        assert c.get(zmq.IO_THREADS) == 3
    finally:
        c.term()
    d = zmq.Context()
    assert d.get(zmq.IO_THREADS) == 1
    d.term()


def test_sockets_work_on_a_context_with_several_io_threads(zmq, fast):
    c = zmq.Context(io_threads=3)
    try:
        pull = fast(c.socket(zmq.PULL))
        pull.bind("tcp://127.0.0.1:*")
        addr = pull.getsockopt(zmq.LAST_ENDPOINT).decode()
        pushes = [fast(c.socket(zmq.PUSH)) for _ in range(4)]
        for i, p in enumerate(pushes):
            p.connect(addr)
            p.send(b"%d" % i)
        assert sorted(pull.recv() for _ in range(4)) == [b"0", b"1", b"2", b"3"]
    finally:
        c.destroy(linger=0)


def test_socket_after_term_raises_zmqerror(zmq):
    c = zmq.Context()
    c.term()
    assert c.closed
    with pytest.raises(zmq.ZMQError):
        c.socket(zmq.PUSH)


def test_socket_after_term_raises_the_errno_pyzmq_raises(zmq, pyzmq):
    p = pyzmq.Context()
    p.term()
    with pytest.raises(pyzmq.ZMQError) as expected:
        p.socket(pyzmq.PUSH)
    c = zmq.Context()
    c.term()
    with pytest.raises(zmq.ZMQError) as info:
        c.socket(zmq.PUSH)
    assert info.value.errno == expected.value.errno


def test_term_twice_is_harmless(zmq):
    c = zmq.Context()
    c.term()
    c.term()
    assert c.closed


def test_default_socket_options_apply_to_new_sockets(zmq):
    c = zmq.Context()
    try:
        c.linger = 0
        c.setsockopt(zmq.SNDHWM, 42)
        c.rcvtimeo = 250
        assert c.linger == 0
        assert c.getsockopt(zmq.SNDHWM) == 42
        s = c.socket(zmq.PUSH)
        assert s.getsockopt(zmq.LINGER) == 0
        assert s.getsockopt(zmq.SNDHWM) == 42
        assert s.getsockopt(zmq.RCVTIMEO) == 250
        s.close()
    finally:
        c.term()  # returns promptly: the socket inherited LINGER=0


def test_socket_options_set_later_on_the_context_do_not_change_existing_sockets(zmq):
    c = zmq.Context()
    try:
        s = c.socket(zmq.PULL)
        c.rcvhwm = 7
        assert s.getsockopt(zmq.RCVHWM) == 1000
        t = c.socket(zmq.PULL)
        assert t.getsockopt(zmq.RCVHWM) == 7
    finally:
        c.destroy(linger=0)


def test_context_used_as_a_context_manager(zmq, fast):
    with zmq.Context() as c:
        pull = fast(c.socket(zmq.PULL))
        pull.bind("inproc://ctx-cm")
        push = fast(c.socket(zmq.PUSH))
        push.connect("inproc://ctx-cm")
        push.send(b"inside")
        assert pull.recv() == b"inside"
    assert c.closed
    assert pull.closed and push.closed


def test_socket_knows_its_context(zmq, ctx):
    s = ctx.socket(zmq.PAIR)
    assert s.context is ctx
    s.close()


@pytest.mark.parametrize("name", ["PUSH", "PULL", "PAIR"])
def test_milestone_socket_types_can_be_created(zmq, ctx, name):
    s = ctx.socket(getattr(zmq, name))
    assert s.type == getattr(zmq, name)
    s.close()


def test_invalid_socket_type_raises_einval(zmq, ctx):
    with pytest.raises(zmq.ZMQError) as info:
        ctx.socket(9999)
    assert info.value.errno == zmq.EINVAL


def test_every_libzmq_socket_type_is_available(zmq, ctx):
    # STREAM was the last of libzmq's stable types to come (tests/test_stream.py)
    for name in ("PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB",
                 "XSUB", "STREAM"):
        s = ctx.socket(getattr(zmq, name))
        assert s.getsockopt(zmq.TYPE) == getattr(zmq, name)
        s.close()


def test_events_raises_eterm_while_another_thread_terminates(zmq):
    # An event loop polls EVENTS when the FD fires: it must see ETERM, or it waits until close.
    import threading
    import time

    c = zmq.Context()
    s = c.socket(zmq.PULL)
    s.bind("inproc://events-eterm")
    t = threading.Thread(target=c.term)
    t.start()
    deadline = time.monotonic() + 5
    with pytest.raises(zmq.ContextTerminated):
        while time.monotonic() < deadline:
            s.get(zmq.EVENTS)
            time.sleep(0.01)
    s.close()
    t.join(5)
    assert not t.is_alive()


def test_socket_class_can_be_swapped_on_an_asyncio_context(zmq):
    # jupyter_client (as_zmqstream) sets a context's _socket_class to zmq.Socket to get a plain
    # socket for a ZMQStream, then restores it
    aio = importlib.import_module(zmq.__name__ + ".asyncio")
    c = aio.Context()
    try:
        saved = c._socket_class
        assert saved is aio.Socket
        c._socket_class = zmq.Socket
        plain = c.socket(zmq.PAIR)
        assert type(plain) is zmq.Socket
        c._socket_class = saved
        async_sock = c.socket(zmq.PAIR)
        assert type(async_sock) is aio.Socket
        assert aio.Context._socket_class is aio.Socket  # the class itself was not changed
        plain.close(linger=0)
        async_sock.close(linger=0)
    finally:
        c.term()
