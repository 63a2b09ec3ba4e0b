"""Publish-subscribe: filtering, counting, HWM drops, XPUB/XSUB, replay, and the subscription
wire forms for ZMTP 3.0 and 3.1 peers (golden bytes with a raw socket)."""

import socket
import time

import pytest
from zmtp_peer import greeting, read_exact, read_frame, ready


def _subscribed(pub, sub, topic=b""):
    """Publish probes until sub receives one (the slow-joiner dance), then drain them."""
    deadline = time.monotonic() + 5
    while True:
        pub.send(topic + b"probe")
        if sub.poll(20):
            break
        assert time.monotonic() < deadline
    while sub.poll(50):
        sub.recv()


def test_prefix_filtering_per_subscriber(zmq, ctx, fast):
    pub = fast(ctx.socket(zmq.PUB))
    pub.bind("inproc://football")
    nl = fast(ctx.socket(zmq.SUB), 300)
    de = fast(ctx.socket(zmq.SUB), 300)
    nl.subscribe(b"netherlands")
    de.subscribe(b"germany")
    for s in (nl, de):
        s.connect("inproc://football")
    for _ in range(3):
        pub.send(b"netherlands 2-1")
        pub.send(b"germany 0-0")
    assert {nl.recv() for _ in range(3)} == {b"netherlands 2-1"}
    assert {de.recv() for _ in range(3)} == {b"germany 0-0"}
    with pytest.raises(zmq.Again):
        nl.recv()


def test_subscriptions_are_counted(zmq, ctx, fast):
    pub = fast(ctx.socket(zmq.PUB))
    pub.bind("inproc://count")
    sub = fast(ctx.socket(zmq.SUB), 200)
    sub.connect("inproc://count")
    sub.subscribe(b"a")
    sub.subscribe(b"a")
    sub.unsubscribe(b"a")
    pub.send(b"a1")
    assert sub.recv() == b"a1"
    sub.unsubscribe(b"a")
    pub.send(b"a2")
    with pytest.raises(zmq.Again):
        sub.recv()


def test_pub_drops_at_hwm_and_never_blocks(zmq, ctx, fast):
    pub = fast(ctx.socket(zmq.PUB))
    pub.sndhwm = 10
    pub.bind("inproc://hwm")
    sub = fast(ctx.socket(zmq.SUB))
    sub.rcvhwm = 10
    sub.subscribe(b"")
    sub.connect("inproc://hwm")
    for i in range(10000):
        pub.send(b"%d" % i, zmq.DONTWAIT)  # never raises Again
    got = 0
    while sub.poll(0):
        sub.recv()
        got += 1
    assert 10 <= got <= 40


def test_xpub_reports_unique_subscriptions_unless_verbose(zmq, ctx, fast):
    for verbose, expected in ((0, [b"\x01t"]), (1, [b"\x01t", b"\x01t"])):
        x = fast(ctx.socket(zmq.XPUB), 200)
        x.setsockopt(zmq.XPUB_VERBOSE, verbose)
        x.bind(f"inproc://xpub-{verbose}")
        subs = [fast(ctx.socket(zmq.SUB)) for _ in range(2)]
        for s in subs:
            s.connect(f"inproc://xpub-{verbose}")
            s.subscribe(b"t")
        got = []
        while True:
            try:
                got.append(x.recv())
            except zmq.Again:
                break
        assert got == expected
        for s in subs:
            s.close()
        x.close()


def test_xpub_welcome_message_reaches_new_subscribers(zmq, pyzmq, ctx, pctx, fast):
    x = fast(ctx.socket(zmq.XPUB))
    x.setsockopt(zmq.XPUB_WELCOME_MSG, b"welcome")
    x.bind("tcp://127.0.0.1:*")
    sub = fast(pctx.socket(pyzmq.SUB))
    sub.subscribe(b"")
    sub.connect(x.last_endpoint.decode())
    deadline = time.monotonic() + 5
    while not sub.poll(20):  # libzmq greets a subscriber when the XPUB is next used
        x.poll(0)
        assert time.monotonic() < deadline
    assert sub.recv() == b"welcome"


def test_xsub_subscribes_with_messages(zmq, pyzmq, ctx, pctx, fast):
    pub = fast(pctx.socket(pyzmq.PUB))
    pub.bind("tcp://127.0.0.1:*")
    xsub = fast(ctx.socket(zmq.XSUB))
    xsub.connect(pub.last_endpoint.decode())
    xsub.send(b"\x01news")
    _subscribed(pub, xsub, b"news")
    pub.send(b"sport")
    pub.send(b"news!")
    assert xsub.recv() == b"news!"


def test_subscriptions_are_replayed_to_a_restarted_publisher(zmq, pyzmq, ctx, pctx, fast):
    pub = fast(pctx.socket(pyzmq.PUB))
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    sub = fast(ctx.socket(zmq.SUB))
    sub.reconnect_ivl = 20
    sub.subscribe(b"x")
    sub.connect(f"tcp://127.0.0.1:{port}")
    _subscribed(pub, sub, b"x")
    pub.close()
    time.sleep(0.1)
    pub2 = fast(pctx.socket(pyzmq.PUB))
    pub2.bind(f"tcp://127.0.0.1:{port}")
    _subscribed(pub2, sub, b"x")  # no new subscribe() call: the SUB sent it again by itself
    pub2.send(b"y-ignored")
    pub2.send(b"x-again")
    assert sub.recv() == b"x-again"


# ---- golden bytes: what a SUB says to a raw peer of each ZMTP minor version ----------------

@pytest.mark.parametrize("minor,expected", [
    (1, (0x04, b"\x09SUBSCRIBEtopic")),
    (0, (0x00, b"\x01topic")),
])
def test_sub_speaks_the_subscription_form_of_the_peer_version(zmq, ctx, minor, expected):
    l = socket.socket()
    l.bind(("127.0.0.1", 0))
    l.listen(1)
    sub = ctx.socket(zmq.SUB)
    sub.linger = 0
    sub.subscribe(b"topic")
    sub.connect("tcp://127.0.0.1:%d" % l.getsockname()[1])
    conn, _ = l.accept()
    conn.settimeout(5)
    conn.sendall(greeting(minor) + ready(b"PUB"))
    read_exact(conn, 64)
    flags, body = read_frame(conn)  # READY
    assert flags == 0x04 and body.startswith(b"\x05READY")
    assert read_frame(conn) == expected
    conn.close()
    l.close()


@pytest.mark.parametrize("form", ["command", "message"])
def test_pub_filters_for_a_raw_subscriber_of_either_form(zmq, ctx, form):
    pub = ctx.socket(zmq.PUB)
    pub.linger = 0
    pub.bind("tcp://127.0.0.1:*")
    port = int(pub.last_endpoint.decode().rsplit(":", 1)[1])
    conn = socket.create_connection(("127.0.0.1", port))
    conn.settimeout(5)
    conn.sendall(greeting(1) + ready(b"SUB"))
    read_exact(conn, 64)
    read_frame(conn)  # READY
    if form == "command":
        conn.sendall(bytes([0x04, 11]) + b"\x09SUBSCRIBEB")
    else:
        conn.sendall(bytes([0x00, 2]) + b"\x01B")
    deadline = time.monotonic() + 5
    while True:  # publish until the subscription has been applied
        pub.send(b"A-skip")
        pub.send(b"B-take")
        conn.settimeout(0.05)
        try:
            flags, body = read_frame(conn)
            break
        except socket.timeout:
            assert time.monotonic() < deadline
    assert body == b"B-take"
    conn.close()


def test_xpub_verboser_also_reports_every_unsubscription(zmq, ctx, fast):
    x = fast(ctx.socket(zmq.XPUB), 200)
    x.setsockopt(zmq.XPUB_VERBOSER, 1)
    x.bind("inproc://verboser")
    subs = [fast(ctx.socket(zmq.SUB)) for _ in range(2)]
    for s in subs:
        s.connect("inproc://verboser")
        s.subscribe(b"t")
    for s in subs:
        s.unsubscribe(b"t")
    got = []
    while True:
        try:
            got.append(x.recv())
        except zmq.Again:
            break
    assert sorted(got) == sorted([b"\x01t", b"\x01t", b"\x00t", b"\x00t"])


def test_xpub_nodrop_makes_a_full_subscriber_block_the_sender(zmq, ctx, fast):
    x = fast(ctx.socket(zmq.XPUB), 200)
    x.setsockopt(zmq.XPUB_NODROP, 1)
    x.sndhwm = 5
    x.bind("inproc://nodrop")
    sub = fast(ctx.socket(zmq.SUB))
    sub.rcvhwm = 5
    sub.connect("inproc://nodrop")
    sub.subscribe(b"")
    assert x.recv() == b"\x01"
    sent = 0
    with pytest.raises(zmq.Again):
        for _ in range(1000):
            x.send(b"m", zmq.DONTWAIT)
            sent += 1
    assert 5 <= sent <= 20  # blocked at the HWM instead of dropping
    assert sum(1 for _ in iter(lambda: sub.poll(0) and sub.recv(), 0)) == sent


# libzmq drops subscriptions beyond SNDHWM (libzmq issue #2258): zmqfast never does
@pytest.mark.zmqfast_only
def test_subscriptions_are_never_dropped_at_the_hwm(zmq, pyzmq, ctx, pctx, fast):
    pub = fast(pctx.socket(pyzmq.XPUB))
    pub.setsockopt(pyzmq.XPUB_VERBOSE, 1)
    pub.bind("tcp://127.0.0.1:*")
    sub = fast(ctx.socket(zmq.SUB))
    sub.sndhwm = 1  # far fewer than the subscriptions below
    for i in range(200):
        sub.subscribe(b"topic-%d" % i)
    sub.connect(pub.last_endpoint.decode())
    got = set()
    deadline = time.monotonic() + 5
    while len(got) < 200:
        assert time.monotonic() < deadline
        if pub.poll(50):
            got.add(pub.recv())
    assert got == {b"\x01topic-%d" % i for i in range(200)}
