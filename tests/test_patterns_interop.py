"""Every compatible socket pairing against libzmq (pyzmq): zmqfast on either side, binding or
connecting, over tcp and ipc."""

import itertools
import time

import pytest

PAIRINGS = [
    ("REQ", "REP"), ("REQ", "ROUTER"), ("DEALER", "REP"), ("DEALER", "ROUTER"),
    ("DEALER", "DEALER"), ("ROUTER", "ROUTER"),
    ("PUB", "SUB"), ("XPUB", "SUB"), ("PUB", "XSUB"), ("XPUB", "XSUB"),
]


def _exchange_reqrep(a, b, ta, tb):
    """a starts (REQ/DEALER/ROUTER-with-identity), b answers. Returns what each side saw."""
    if ta == "ROUTER":  # ROUTER to ROUTER: the connecting side must name its peer
        a.send_multipart([b"B", b"", b"hello", b"world"])
    elif ta == "DEALER":
        a.send_multipart([b"", b"hello", b"world"])
    else:
        a.send_multipart([b"hello", b"world"])
    got_b = b.recv_multipart()
    if tb == "REP":
        assert got_b == [b"hello", b"world"]
        b.send_multipart([b"reply", b"x"])
    elif tb == "ROUTER":
        ident = got_b[0]
        assert got_b[1:] == [b"", b"hello", b"world"]
        b.send_multipart([ident, b"", b"reply", b"x"])
    else:  # DEALER
        assert got_b == [b"", b"hello", b"world"]
        b.send_multipart([b"", b"reply", b"x"])
    got_a = a.recv_multipart()
    if ta == "REQ":
        assert got_a == [b"reply", b"x"]
    elif ta == "DEALER":
        assert got_a == [b"", b"reply", b"x"]
    else:
        assert got_a == [b"B", b"", b"reply", b"x"]


def _exchange_pubsub(pub, sub, tp, ts, mods):
    if ts == "XSUB":
        sub.send(b"\x01topic")
    else:
        sub.setsockopt(mods[1].SUBSCRIBE, b"topic")
    if tp == "XPUB":
        # a binding libzmq SUB/XSUB attaches a new connection (and sends it its subscriptions)
        # only when the application next uses the socket: keep it busy while waiting
        deadline = time.monotonic() + 5
        while not pub.poll(20):
            sub.poll(0)
            assert time.monotonic() < deadline
        assert pub.recv() == b"\x01topic"
    deadline = time.monotonic() + 5
    while True:  # a PUB cannot know when the subscription arrived: publish until it did
        pub.send_multipart([b"other", b"x"])
        pub.send_multipart([b"topic", b"payload"])
        if sub.poll(20):
            break
        assert time.monotonic() < deadline
    assert sub.recv_multipart() == [b"topic", b"payload"]


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
@pytest.mark.parametrize("impl_side,binder", list(itertools.product("ab", "ab")))
@pytest.mark.parametrize("ta,tb", PAIRINGS, ids=[f"{a}-{b}" for a, b in PAIRINGS])
def test_pairing_talks_to_libzmq(zmq, pyzmq, ctx, pctx, fast, endpoint, ta, tb, impl_side, binder, transport):
    mods = {"a": zmq if impl_side == "a" else pyzmq, "b": zmq if impl_side == "b" else pyzmq}
    ctxs = {"a": ctx if impl_side == "a" else pctx, "b": ctx if impl_side == "b" else pctx}
    a = fast(ctxs["a"].socket(getattr(mods["a"], ta)))
    b = fast(ctxs["b"].socket(getattr(mods["b"], tb)))
    if tb == "ROUTER" and ta == "ROUTER":
        b.setsockopt(mods["b"].IDENTITY, b"B")
        a.setsockopt(mods["a"].ROUTER_MANDATORY, 1)
    first, second = (a, b) if binder == "a" else (b, a)
    first.bind(endpoint(transport))
    second.connect(first.getsockopt(32).decode())
    if ta in ("PUB", "XPUB"):
        _exchange_pubsub(a, b, ta, tb, (mods["a"], mods["b"]))
        return
    if ta == "ROUTER":
        deadline = time.monotonic() + 5
        while True:  # the connecting ROUTER learns B's identity with the handshake
            try:
                _exchange_reqrep(a, b, ta, tb)
                return
            except mods["a"].ZMQError as e:
                assert e.errno == mods["a"].EHOSTUNREACH and time.monotonic() < deadline
                time.sleep(0.02)
    _exchange_reqrep(a, b, ta, tb)


@pytest.mark.parametrize("impl_binds", [True, False])
def test_incompatible_pairing_delivers_nothing_and_breaks_nothing(zmq, pyzmq, ctx, pctx, fast, impl_binds):
    push = fast(ctx.socket(zmq.PUSH), 300)
    pub = fast(pctx.socket(pyzmq.PUB))
    if impl_binds:
        push.bind("tcp://127.0.0.1:*")
        pub.connect(push.last_endpoint.decode())
    else:
        pub.bind("tcp://127.0.0.1:*")
        push.connect(pub.last_endpoint.decode())
    time.sleep(0.2)
    if impl_binds:
        with pytest.raises(zmq.Again):  # the PUB was refused: the PUSH has no peer
            push.send(b"x", zmq.DONTWAIT)
    else:
        push.send(b"x")  # queued on the connecting side; the refused PUB never gets it
    # both sockets still work with proper peers
    pull = fast(pctx.socket(pyzmq.PULL))
    pull.bind("tcp://127.0.0.1:*")
    push.connect(pull.last_endpoint.decode())
    deadline = time.monotonic() + 5
    while not pull.poll(0):
        try:
            push.send(b"ok", zmq.DONTWAIT)
        except zmq.Again:
            pass
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert pull.recv() == b"ok"
