"""zmqfast.green: gevent-cooperative Context/Socket/Poller (``import zmqfast.green as zmq``).

Every test runs in one thread: greenlets share it, so a blocking call that did not yield to the
hub would stall the others (a ticker greenlet checks that it keeps running)."""

import importlib
import os
import subprocess
import sys
import threading
import time

import pytest

gevent = pytest.importorskip("gevent")


@pytest.fixture
def green(zmq):
    return importlib.import_module(zmq.__name__ + ".green")


@pytest.fixture
def gctx(green):
    c = green.Context()
    yield c
    c.destroy(linger=0)


def _ticker(ticks, n=1000, dt=0.002):
    for i in range(n):
        ticks.append(i)
        gevent.sleep(dt)


def _tcp(sock):
    sock.linger = 0
    return sock


def test_classes_are_green(green, zmq, gctx):
    assert issubclass(green.Context, zmq.Context) and green.Context is not zmq.Context
    assert issubclass(green.Socket, zmq.Socket) and green.Socket is not zmq.Socket
    assert issubclass(green.Poller, zmq.Poller) and green.Poller is not zmq.Poller
    s = gctx.socket(green.PAIR)
    assert isinstance(s, green.Socket)
    s.close()
    assert green.Context.instance() is not zmq.Context.instance()
    assert isinstance(green.Context.instance(), green.Context)
    assert green.REQ == zmq.REQ and green.Again is zmq.Again
    green.Context.instance().term()


def test_many_greenlets_reqrep_in_one_thread(green, gctx):
    rep = _tcp(gctx.socket(green.REP))
    port = rep.bind_to_random_port("tcp://127.0.0.1")
    clients, rounds = 4, 50

    def server():
        for _ in range(clients * rounds):
            rep.send(rep.recv() + b"!")

    def client(k):
        with _tcp(gctx.socket(green.REQ)) as req:
            req.connect(f"tcp://127.0.0.1:{port}")
            out = []
            for i in range(rounds):
                req.send_string(f"{k}-{i}")
                out.append(req.recv_string())
            return out

    ticks = []
    tick = gevent.spawn(_ticker, ticks)
    gs = [gevent.spawn(server)] + [gevent.spawn(client, k) for k in range(clients)]
    gevent.joinall(gs, timeout=10, raise_error=True)
    tick.kill()
    assert all(g.successful() for g in gs)
    for k, g in enumerate(gs[1:]):
        assert g.value == [f"{k}-{i}!" for i in range(rounds)]
    rep.close()


def test_blocking_recv_yields_to_other_greenlets(green, gctx):
    pull = _tcp(gctx.socket(green.PULL))
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    push = _tcp(gctx.socket(green.PUSH))
    push.connect(f"tcp://127.0.0.1:{port}")
    ticks = []
    tick = gevent.spawn(_ticker, ticks)

    def later():
        gevent.sleep(0.1)
        push.send_multipart([b"a", b"b"])

    gevent.spawn(later)
    assert pull.recv_multipart() == [b"a", b"b"]
    assert len(ticks) >= 10  # the ticker ran while recv waited
    tick.kill()
    pull.close()
    push.close()


def test_one_socket_shared_by_a_sender_and_a_receiver(green, gctx):
    a = _tcp(gctx.socket(green.DEALER))
    port = a.bind_to_random_port("tcp://127.0.0.1")
    b = _tcp(gctx.socket(green.DEALER))
    b.connect(f"tcp://127.0.0.1:{port}")
    n = 200

    def rx():
        return [a.recv() for _ in range(n)]

    def tx():
        for i in range(n):
            a.send(b"%d" % i)
            gevent.sleep(0)

    def echo():
        for _ in range(n):
            b.send(b.recv())

    gs = [gevent.spawn(rx), gevent.spawn(tx), gevent.spawn(echo)]
    gevent.joinall(gs, timeout=10, raise_error=True)
    assert gs[0].value == [b"%d" % i for i in range(n)]
    a.close()
    b.close()


@pytest.mark.zmqfast_only  # pyzmq's green sockets ignore RCVTIMEO/SNDTIMEO (with a warning)
def test_rcvtimeo_and_sndtimeo_raise_again_without_blocking_the_thread(green, gctx):
    pull = _tcp(gctx.socket(green.PULL))
    pull.bind("tcp://127.0.0.1:*")
    pull.rcvtimeo = 100
    ticks = []
    tick = gevent.spawn(_ticker, ticks)
    t0 = time.monotonic()
    with pytest.raises(green.Again):
        pull.recv()
    assert 0.08 < time.monotonic() - t0 < 1.0
    assert len(ticks) >= 5
    push = _tcp(gctx.socket(green.PUSH))  # no peer: a send waits, then times out
    push.sndtimeo = 50
    with pytest.raises(green.Again):
        push.send(b"x")
    tick.kill()
    pull.close()
    push.close()


def test_poller_timeout_and_readiness(green, gctx):
    pull = _tcp(gctx.socket(green.PULL))
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    p = green.Poller()
    p.register(pull, green.POLLIN)
    ticks = []
    tick = gevent.spawn(_ticker, ticks)
    t0 = time.monotonic()
    assert p.poll(100) == []
    assert 0.08 < time.monotonic() - t0 < 1.0
    assert len(ticks) >= 5
    assert pull.poll(20) == 0
    push = _tcp(gctx.socket(green.PUSH))
    push.connect(f"tcp://127.0.0.1:{port}")

    def later():
        gevent.sleep(0.05)
        push.send(b"ready")

    gevent.spawn(later)
    assert p.poll(3000) == [(pull, green.POLLIN)]
    assert pull.recv(green.NOBLOCK) == b"ready"
    tick.kill()
    pull.close()
    push.close()


def test_poller_mixes_green_sockets_and_plain_fds(green, gctx):
    r, w = os.pipe()
    try:
        pull = _tcp(gctx.socket(green.PULL))
        pull.bind("tcp://127.0.0.1:*")
        p = green.Poller()
        p.register(pull, green.POLLIN)
        p.register(r, green.POLLIN)

        def later():
            gevent.sleep(0.05)
            os.write(w, b"x")

        gevent.spawn(later)
        assert p.poll(3000) == [(r, green.POLLIN)]
        pull.close()
    finally:
        os.close(r)
        os.close(w)


def test_close_wakes_a_waiting_greenlet(green, zmq, gctx):
    s = _tcp(gctx.socket(green.PULL))
    s.bind("tcp://127.0.0.1:*")

    def closer():
        gevent.sleep(0.05)
        s.close()

    gevent.spawn(closer)
    with pytest.raises(zmq.ZMQError):
        s.recv()


def test_interop_with_a_pyzmq_peer(green, gctx, pctx, pyzmq):
    prep = pctx.socket(pyzmq.REP)
    prep.linger = 0
    port = prep.bind_to_random_port("tcp://127.0.0.1")
    prep.rcvtimeo = 5000

    def serve():  # a real thread (gevent is not monkey-patched): pyzmq blocks it
        try:
            for _ in range(20):
                prep.send(prep.recv()[::-1])
        except pyzmq.Again:
            pass

    t = threading.Thread(target=serve)
    t.start()

    def client(k):
        with _tcp(gctx.socket(green.REQ)) as req:
            req.connect(f"tcp://127.0.0.1:{port}")
            return [(req.send(b"ab%d" % (k * 10 + i)), req.recv())[1] for i in range(10)]

    ticks = []
    tick = gevent.spawn(_ticker, ticks)
    gs = [gevent.spawn(client, k) for k in range(2)]
    gevent.joinall(gs, timeout=10, raise_error=True)
    tick.kill()
    t.join(5)
    for k, g in enumerate(gs):
        assert g.value == [(b"ab%d" % (k * 10 + i))[::-1] for i in range(10)]
    prep.close()


def test_green_device(green, gctx):
    front = _tcp(gctx.socket(green.ROUTER))
    fport = front.bind_to_random_port("tcp://127.0.0.1")
    back = _tcp(gctx.socket(green.DEALER))
    bport = back.bind_to_random_port("tcp://127.0.0.1")
    dev = gevent.spawn(green.device, green.QUEUE, front, back)

    def worker():
        # kept open until the clients have their replies: closed at once with linger 0, it
        # would drop a last reply still queued for its I/O thread, as libzmq's would
        rep = _tcp(gctx.socket(green.REP))
        rep.connect(f"tcp://127.0.0.1:{bport}")
        for _ in range(6):
            rep.send(rep.recv().upper())
        return rep

    def client(k):
        with _tcp(gctx.socket(green.REQ)) as req:
            req.connect(f"tcp://127.0.0.1:{fport}")
            return [(req.send(b"m%d" % k), req.recv())[1] for _ in range(3)]

    w = gevent.spawn(worker)
    gs = [gevent.spawn(client, k) for k in range(2)]
    gevent.joinall(gs + [w], timeout=10, raise_error=True)
    assert [g.value for g in gs] == [[b"M0"] * 3, [b"M1"] * 3]
    w.value.close()
    dev.kill()
    front.close()
    back.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # eventloop.ioloop is deprecated
def test_zmqstream_and_ioloop_names(green):
    pytest.importorskip("tornado")
    ev = importlib.import_module(green.__name__ + ".eventloop")
    zs = importlib.import_module(green.__name__ + ".eventloop.zmqstream")
    import tornado.ioloop

    assert ev.IOLoop is tornado.ioloop.IOLoop
    assert issubclass(zs.ZMQStream, importlib.import_module(
        green.__name__.rsplit(".", 1)[0] + ".eventloop.zmqstream").ZMQStream)


@pytest.mark.zmqfast_only
def test_import_without_gevent_is_a_clear_import_error(subprocess_env):
    code = ("import sys; sys.modules['gevent'] = None\n"
            "try:\n    import zmqfast.green\n"
            "except ImportError as e:\n    print('IMPORTERROR', e)\n")
    out = subprocess.run([sys.executable, "-c", code], env=subprocess_env, capture_output=True,
                         text=True, timeout=30)
    assert "IMPORTERROR" in out.stdout, out.stderr
    assert "gevent" in out.stdout and "pip install gevent" in out.stdout
