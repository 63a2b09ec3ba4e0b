"""ZMTP heartbeats: HEARTBEAT_IVL sends PINGs, silence past HEARTBEAT_TIMEOUT drops the peer,
and a live libzmq peer keeps the connection."""

import time

import pytest
from zmtp_peer import greeting, listener, ready


def _handshake_as_pull(conn):
    """Complete the ZMTP handshake as a PULL, then go silent (never answer a PING)."""
    conn.sendall(greeting() + ready("PULL"))


def test_a_silent_peer_is_pinged_then_dropped_after_the_timeout(zmq, ctx):
    l = listener(1)
    s = ctx.socket(zmq.PUSH)
    s.linger = 0
    s.heartbeat_ivl = 100
    s.heartbeat_timeout = 300
    s.heartbeat_ttl = 2000
    s.connect("tcp://127.0.0.1:%d" % l.getsockname()[1])
    conn, _ = l.accept()
    conn.settimeout(5)
    _handshake_as_pull(conn)
    data, t0 = b"", time.monotonic()
    while True:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    elapsed = time.monotonic() - t0
    # PING with TTL 2000 ms = 20 deciseconds, empty context
    assert b"\x04\x07\x04PING\x00\x14" in data
    assert 0.25 < elapsed < 3.0
    conn.close()
    l.close()


def test_heartbeats_keep_a_libzmq_peer_connected(zmq, pyzmq, ctx, pctx, fast):
    rx = fast(pctx.socket(pyzmq.PULL))
    rx.bind("tcp://127.0.0.1:*")
    tx = fast(ctx.socket(zmq.PUSH))
    tx.heartbeat_ivl = 50
    tx.heartbeat_timeout = 200
    tx.connect(rx.last_endpoint.decode())
    tx.send(b"first")
    assert rx.recv() == b"first"
    time.sleep(0.6)  # a dozen PING/PONG rounds; a dropped connection would lose the next send
    tx.send(b"after the pings")
    assert rx.recv() == b"after the pings"


def test_heartbeat_options_read_back(zmq, ctx):
    s = ctx.socket(zmq.DEALER)
    s.heartbeat_ivl = 1000
    s.heartbeat_ttl = 5000
    s.heartbeat_timeout = 3000
    assert (s.heartbeat_ivl, s.heartbeat_ttl, s.heartbeat_timeout) == (1000, 5000, 3000)


@pytest.mark.parametrize("mechanism", ["NULL", "CURVE"])
def test_pong_never_lands_inside_a_large_frame(zmq, pyzmq, ctx, pctx, fast, mechanism):
    # A libzmq peer PINGing every millisecond while we stream frames too large for the write
    # buffer: each PONG must wait for the frame going out, or the peer reads garbage and hangs
    # up (it did: the PONG was written ahead of a large frame's body).
    import os

    ours = fast(ctx.socket(zmq.PAIR))
    theirs = fast(pctx.socket(pyzmq.PAIR))
    if mechanism == "CURVE":
        spub, ssec = zmq.curve_keypair()
        cpub, csec = zmq.curve_keypair()
        ours.curve_server = True
        ours.curve_secretkey = ssec
        ours.curve_publickey = spub
        theirs.curve_serverkey = spub
        theirs.curve_publickey = cpub
        theirs.curve_secretkey = csec
    theirs.heartbeat_ivl = 1
    theirs.heartbeat_timeout = 5000
    ours.sndhwm = 0
    port = ours.bind_to_random_port("tcp://127.0.0.1")
    theirs.connect(f"tcp://127.0.0.1:{port}")
    ours.send(b"hello")
    assert theirs.recv() == b"hello"
    m = os.urandom(20000)
    for _ in range(2000):
        ours.send(m)
    for _ in range(2000):
        assert theirs.recv() == m
