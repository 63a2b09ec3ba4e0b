"""zmqfast's utility modules against pyzmq's: z85, decorators, log handlers, ZMQStream,
socket monitoring and Frame basics."""

import importlib.util
import logging
import os
import time

import pytest

import zmq as pyzmq
import zmq.log.handlers as py_handlers
import zmq.utils.monitor as py_monitor
import zmq.utils.z85 as py_z85

import zmqfast
from conftest import make_linger0
import zmqfast.log.handlers as zf_handlers
import zmqfast.utils.monitor as zf_monitor
import zmqfast.utils.z85 as zf_z85

TIMEOUT_MS = 3000
have_tornado = importlib.util.find_spec("tornado") is not None


@pytest.fixture
def ctx():
    c = zmqfast.Context()
    yield c
    c.destroy(linger=0)


# -- z85 --

# ZeroMQ RFC 32's test vector
RFC32_RAW = bytes([0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])
RFC32_TEXT = b"HelloWorld"


def test_z85_rfc32_vector():
    assert zf_z85.encode(RFC32_RAW) == RFC32_TEXT
    assert zf_z85.decode(RFC32_TEXT) == RFC32_RAW
    assert zf_z85.decode(RFC32_TEXT.decode()) == RFC32_RAW


def test_z85_curve_key_vectors():
    # the CURVE test keys of libzmq's test suite (32 bytes <-> 40 characters)
    public = b"Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
    secret = b"D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"
    for key in (public, secret):
        raw = zf_z85.decode(key)
        assert len(raw) == 32
        assert raw == py_z85.decode(key)
        assert zf_z85.encode(raw) == key


@pytest.mark.parametrize("n", [0, 4, 8, 32, 64, 1024])
def test_z85_round_trip_vs_pyzmq(n):
    for _ in range(5):
        raw = os.urandom(n)
        text = zf_z85.encode(raw)
        assert text == py_z85.encode(raw)
        assert isinstance(text, bytes) and len(text) == n // 4 * 5
        assert zf_z85.decode(text) == raw
        assert zf_z85.decode(text.decode("ascii")) == raw
        assert zf_z85.decode(bytearray(text)) == raw
        assert zf_z85.encode(bytearray(raw)) == text
        assert zf_z85.encode(memoryview(raw)) == text


def test_z85_extremes():
    for raw in (b"\x00" * 4, b"\xff" * 4, b"\x00\x00\x00\x01", b"\x80\x00\x00\x00"):
        assert zf_z85.encode(raw) == py_z85.encode(raw)
        assert zf_z85.decode(zf_z85.encode(raw)) == raw
    assert zf_z85.encode(b"\xff" * 4) == b"%nSc0"


@pytest.mark.parametrize("n", [1, 2, 3, 5, 31])
def test_z85_encode_bad_length(n):
    with pytest.raises(ValueError):
        zf_z85.encode(b"x" * n)
    with pytest.raises(ValueError):
        py_z85.encode(b"x" * n)


@pytest.mark.parametrize("n", [1, 4, 6, 39])
def test_z85_decode_bad_length(n):
    with pytest.raises(ValueError):
        zf_z85.decode(b"0" * n)
    with pytest.raises(ValueError):
        zf_z85.decode("0" * n)


def test_z85_decode_bad_text():
    with pytest.raises(ValueError):
        zf_z85.decode("Hellö" * 1)
    with pytest.raises(ValueError):
        zf_z85.decode(b"Hell~")  # '~' is not a Z85 symbol
    with pytest.raises(ValueError):
        zf_z85.decode(b"#####")  # above 2**32 - 1


# -- decorators --


def test_context_decorator():
    from zmqfast.decorators import context

    seen = []

    @context()
    def f(x, ctx):
        assert isinstance(ctx, zmqfast.Context) and not ctx.closed
        seen.append(ctx)
        return x * 2

    assert f(21) == 42
    assert seen[0].closed
    assert f.__name__ == "f"


def test_context_decorator_named():
    from zmqfast.decorators import context

    @context("c")
    def f(*, c):
        return c

    assert f().closed

    @context(name="c2")
    def g(c2=None):
        return c2

    assert isinstance(g(), zmqfast.Context)
    with pytest.raises(TypeError):
        g(c2=1)


def test_socket_decorator(ctx):
    from zmqfast.decorators import context, socket

    @context()
    @socket(zmqfast.PUSH)
    @socket("pull", zmqfast.PULL)
    def f(c, push, pull):
        assert push.context is c and pull.context is c
        push.linger = pull.linger = 0
        pull.rcvtimeo = TIMEOUT_MS
        pull.bind("inproc://deco")
        push.connect("inproc://deco")
        push.send(b"hi")
        return pull.recv(), push, pull

    msg, push, pull = f()
    assert msg == b"hi"
    assert push.closed and pull.closed
    assert push.socket_type == zmqfast.PUSH

    # the context comes from the call's arguments: keyword "context", or context_name=
    @socket(zmqfast.PAIR, name="s")
    def g(context, s):
        assert s.context is context
        return s

    assert g(context=ctx).closed

    @socket(zmqfast.PAIR, name="s", context_name="mine")
    def h(s, mine):
        assert s.context is mine
        return s

    assert h(mine=ctx).closed

    @socket(zmqfast.PAIR)
    def k(s):
        assert s.context is zmqfast.Context.instance()
        return s

    assert k().closed


# -- log handlers --


def _sub_for(endpoint, context, topic=b""):
    sub = context.socket(zmqfast.SUB)  # the same number in pyzmq
    sub.linger = 0
    sub.rcvtimeo = TIMEOUT_MS
    sub.subscribe(topic)
    sub.connect(endpoint)
    return sub


def _sync(logger, sub):
    """Log until the subscription is live (PUB drops messages before that), then drain."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        logger.info("sync")
        if sub.poll(20):
            break
    else:
        raise AssertionError("subscription never became active")
    while sub.poll(50):
        sub.recv_multipart()


def _log_scenario(mod, handlers_mod, endpoint):
    """Log a few records through a PUBHandler; return what a SUB receives."""
    context = mod.Context()
    pub = context.socket(mod.PUB)
    pub.linger = 0
    pub.bind(endpoint)
    handler = handlers_mod.PUBHandler(pub)
    handler.root_topic = "app"
    logger = logging.Logger(f"surface.{mod.__name__}")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    sub = _sub_for(endpoint, context)
    _sync(logger, sub)
    # one call site, so filename/lineno in the formatted text agree between libraries
    for level, msg, args in [(logging.INFO, "plain %s", ("text",)),
                             (logging.WARNING, "db.query::slow: %dms", (30,)),
                             (logging.DEBUG, "dbg", ()),
                             (logging.ERROR, "bad", ()),
                             (logging.CRITICAL, "sub::crit", ())]:
        logger.log(level, msg, *args)
    got = [sub.recv_multipart() for _ in range(5)]
    sub.close()
    pub.close()
    context.term()
    return got


def test_pubhandler_matches_pyzmq():
    zf = _log_scenario(zmqfast, zf_handlers, "inproc://zflog")
    py = _log_scenario(pyzmq, py_handlers, "inproc://pylog")
    assert zf == py
    assert zf[0] == [b"app.INFO", b"plain text\n"]
    assert zf[1][0] == b"app.WARNING.db.query"
    assert zf[1][1].endswith(b" - slow: 30ms\n")


def test_pubhandler_binds_interface():
    handler = zf_handlers.PUBHandler("tcp://127.0.0.1:*")
    try:
        assert handler.socket.socket_type == zmqfast.PUB
        endpoint = handler.socket.last_endpoint.decode()
        logger = logging.Logger("surface.bind")
        logger.addHandler(handler)
        handler.setFormatter(logging.Formatter("%(levelname)s|%(message)s"))
        handler.setFormatter(logging.Formatter("E:%(message)s"), logging.ERROR)
        sub = _sub_for(endpoint, handler.ctx, b"WARNING")
        logger.setLevel(logging.DEBUG)
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while not sub.poll(20):
            logger.warning("sync")
            assert time.monotonic() < deadline
        assert sub.recv_multipart() == [b"WARNING", b"WARNING|sync"]
        sub.unsubscribe(b"WARNING")
        sub.subscribe(b"ERROR")
        while sub.poll(50):
            sub.recv_multipart()
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while not sub.poll(20):
            logger.error("x")
            assert time.monotonic() < deadline
        assert sub.recv_multipart() == [b"ERROR", b"E:x"]
        sub.close()
    finally:
        handler.socket.close(linger=0)
        handler.ctx.term()


def test_pubhandler_root_topic_bytes():
    with zmqfast.Context() as c:
        pub = c.socket(zmqfast.PUB)
        h = zf_handlers.PUBHandler(pub, root_topic=b"raw")
        assert h.root_topic == "raw" and h.ctx is c
        pub.close(linger=0)


def test_topic_logger(ctx):
    pub = ctx.socket(zmqfast.PUB)
    pub.bind("inproc://topiclog")
    handler = zf_handlers.PUBHandler(pub)
    logger = zf_handlers.TopicLogger("surface.topic")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    sub = _sub_for("inproc://topiclog", ctx)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not sub.poll(20):
        logger.info("sync", "x")
        assert time.monotonic() < deadline
    while sub.poll(50):
        sub.recv_multipart()
    logger.warning("disk.sda", "%d%% full", 91)
    logger.log(logging.INFO, "a.b", "m")
    topic, body = sub.recv_multipart()
    assert topic == b"WARNING.disk.sda" and body.endswith(b" - 91% full\n")
    assert sub.recv_multipart() == [b"INFO.a.b", b"m\n"]
    sub.close()
    pub.close()


# -- ZMQStream --

tornado_only = pytest.mark.skipif(not have_tornado, reason="tornado not installed")


@tornado_only
@pytest.mark.parametrize("transport", ["inproc", "tcp"])
def test_zmqstream_recv_and_send(ctx, transport, connected):
    import asyncio

    from tornado.ioloop import IOLoop

    from zmqfast.eventloop.zmqstream import ZMQStream

    n = 500

    async def main():
        pull, push = connected(zmqfast.PULL, zmqfast.PUSH, transport, context=ctx,
                               setup=make_linger0)
        rstream, sstream = ZMQStream(pull), ZMQStream(push)
        assert rstream.io_loop is IOLoop.current()
        got, sent, closed = [], [], []
        done = asyncio.Event()

        def on_recv(msg):
            got.append(msg)
            if len(got) == n:
                done.set()

        rstream.on_recv(on_recv)
        assert rstream.receiving() and not rstream.sending()
        for i in range(n):
            sstream.send_multipart([b"m", str(i).encode()],
                                   callback=lambda msg, status: sent.append(msg))
        assert sstream.sending()
        await asyncio.wait_for(done.wait(), TIMEOUT_MS / 1000)
        assert got == [[b"m", str(i).encode()] for i in range(n)]
        assert len(sent) == n and sent[0] == [b"m", b"0"]
        assert not sstream.sending()

        # stop receiving: messages stay queued; resuming delivers them although the FD,
        # being edge style, has nothing new to report
        rstream.stop_on_recv()
        sstream.send_string("q1")
        sstream.send_json({"a": 1})
        sstream.send_pyobj((1, 2))
        await asyncio.sleep(0.1)
        assert len(got) == n
        more = []
        all_in = asyncio.Event()

        def on_stream(stream, msg):
            assert stream is rstream
            more.append(msg)
            if len(more) == 3:
                all_in.set()

        rstream.on_recv_stream(on_stream)
        await asyncio.wait_for(all_in.wait(), TIMEOUT_MS / 1000)
        import pickle

        assert more[0] == [b"q1"]
        assert zmqfast.utils.jsonapi.loads(more[1][0]) == {"a": 1}
        assert pickle.loads(more[2][0]) == (1, 2)

        rstream.set_close_callback(lambda: closed.append(True))
        rstream.close()
        assert closed == [True] and rstream.closed()
        sstream.close()
        assert pull.closed and push.closed

    IOLoop.current().run_sync(main, timeout=10)


@tornado_only
def test_zmqstream_copy_false_and_flush(ctx, connected):
    import asyncio

    from tornado.ioloop import IOLoop

    from zmqfast.eventloop.zmqstream import ZMQStream

    async def main():
        pull, push = connected(zmqfast.PULL, zmqfast.PUSH, "inproc", context=ctx,
                               setup=make_linger0)
        rstream = ZMQStream(pull)
        frames = []
        rstream.on_recv(frames.append, copy=False)
        rstream.stop_on_recv()
        for i in range(3):
            push.send(b"f%d" % i)
        await asyncio.sleep(0.05)
        rstream.on_recv(frames.append, copy=False)
        assert rstream.flush(limit=2) == 2
        assert rstream.flush() == 1
        assert [f[0].bytes for f in frames] == [b"f0", b"f1", b"f2"]
        assert all(isinstance(f[0], zmqfast.Frame) for f in frames)
        # coroutine callbacks are run as tasks
        got = asyncio.Event()

        async def acb(msg):
            await asyncio.sleep(0)
            got.set()

        rstream.on_recv(acb)
        push.send(b"x")
        await asyncio.wait_for(got.wait(), TIMEOUT_MS / 1000)
        rstream.close()
        push.close()
        with pytest.raises(OSError):
            rstream.on_recv(print)

    IOLoop.current().run_sync(main, timeout=10)


@tornado_only
def test_zmqstream_callback_error_keeps_stream_alive(ctx, connected):
    """A callback raising must not leave queued messages stranded (edge-style FD)."""
    import asyncio

    from tornado.ioloop import IOLoop

    from zmqfast.eventloop.zmqstream import ZMQStream

    async def main():
        pull, push = connected(zmqfast.PULL, zmqfast.PUSH, "inproc", context=ctx,
                               setup=make_linger0)
        rstream = ZMQStream(pull)
        got = []
        done = asyncio.Event()

        def cb(msg):
            got.append(msg)
            if msg == [b"boom"]:
                raise RuntimeError("expected by the test")
            if msg == [b"last"]:
                done.set()

        rstream.on_recv(cb)
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda *a: None)
        push.send(b"boom")
        push.send(b"last")
        await asyncio.wait_for(done.wait(), TIMEOUT_MS / 1000)
        assert got == [[b"boom"], [b"last"]]
        rstream.close()
        push.close()

    logging.getLogger("tornado.general").disabled = True
    try:
        IOLoop.current().run_sync(main, timeout=10)
    finally:
        logging.getLogger("tornado.general").disabled = False


@tornado_only
def test_ioloop_close_all_fds_closes_a_streams_socket(zmq):
    # ipykernel's IOPub thread ends with io_loop.close(all_fds=True) and then term(): the loop
    # must close the socket itself (the stream registers the socket, not an fd of its own),
    # or term() waits forever for it
    import threading

    from tornado.ioloop import IOLoop

    zmqstream = importlib.import_module(zmq.__name__ + ".eventloop.zmqstream")
    c = zmq.Context()
    sock = c.socket(zmq.PUB)
    sock.linger = 0
    sock.bind("tcp://127.0.0.1:*")
    loop = IOLoop(make_current=False)
    zmqstream.ZMQStream(sock, loop)
    loop.close(all_fds=True)
    assert sock.closed
    t = threading.Thread(target=c.term, daemon=True)
    t.start()
    t.join(TIMEOUT_MS / 1000)
    assert not t.is_alive()


@pytest.mark.parametrize("first_use", ["get_loop", "poll"])
def test_ioloop_close_all_fds_closes_a_future_socket_used_on_it(zmq, first_use):
    # pyzmq's tornado sockets (zmq.eventloop.future) enter the IOLoop's table when first used
    # there, so that closing the loop with all_fds=True closes them too
    from tornado.ioloop import IOLoop

    future = importlib.import_module(zmq.__name__ + ".eventloop.future")
    c = future.Context()
    s = c.socket(zmq.PULL)
    s.linger = 0
    s.bind("tcp://127.0.0.1:*")
    loop = IOLoop(make_current=False)

    async def use():
        if first_use == "get_loop":
            s._get_loop()
        else:  # a wait that runs out
            assert await s.poll(timeout=20) == 0

    loop.run_sync(use)
    loop.close(all_fds=True)
    assert s.closed
    c.term()


# -- monitor --


def _monitor_scenario(mod, monitor_mod):
    """Server and client monitored over tcp: connect, send, close the client, stop monitoring.
    Returns the event names each side reports."""
    context = mod.Context()
    srv = context.socket(mod.PULL)
    cli = context.socket(mod.PUSH)
    srv.linger = cli.linger = 0
    srv.rcvtimeo = TIMEOUT_MS
    smon = srv.get_monitor_socket()
    cmon = cli.get_monitor_socket()
    smon.rcvtimeo = cmon.rcvtimeo = TIMEOUT_MS
    port = srv.bind_to_random_port("tcp://127.0.0.1")
    cli.connect(f"tcp://127.0.0.1:{port}")
    cli.send(b"x")
    assert srv.recv() == b"x"

    def read_until(mon, last):
        names = []
        while True:
            evt = monitor_mod.recv_monitor_message(mon)
            assert set(evt) == {"event", "value", "endpoint"}
            names.append(mod.Event(evt["event"]).name)
            if evt["event"] == last:
                return names

    server = read_until(smon, mod.EVENT_HANDSHAKE_SUCCEEDED)
    client = read_until(cmon, mod.EVENT_HANDSHAKE_SUCCEEDED)
    cli.disable_monitor()
    client += read_until(cmon, mod.EVENT_MONITOR_STOPPED)
    cli.close()
    server += read_until(smon, mod.EVENT_DISCONNECTED)
    srv.disable_monitor()
    server += read_until(smon, mod.EVENT_MONITOR_STOPPED)
    for s in (smon, cmon, srv):
        s.close()
    context.term()
    return server, client


def test_monitor_events_match_pyzmq():
    zf_server, zf_client = _monitor_scenario(zmqfast, zf_monitor)
    py_server, py_client = _monitor_scenario(pyzmq, py_monitor)
    assert py_server == ["LISTENING", "ACCEPTED", "HANDSHAKE_SUCCEEDED", "DISCONNECTED",
                         "MONITOR_STOPPED"]
    assert zf_server == py_server
    assert zf_client == py_client


def test_parse_monitor_message_matches_pyzmq():
    import struct

    raw = [struct.pack("=hi", int(zmqfast.EVENT_ACCEPTED), 17), b"tcp://127.0.0.1:5555"]
    zf = zf_monitor.parse_monitor_message(raw)
    py = py_monitor.parse_monitor_message(raw)
    assert zf == py
    assert int(zf["event"]) == int(py["event"]) and zf["value"] == 17


# -- Frame --


FRAME_SIZES = [0, 5, 16, 17, 32, 33, 999, 1000, 2560, 2**20 - 1, 2**20, 5 * 2**20]


@pytest.mark.parametrize("size", FRAME_SIZES)
def test_frame_basics_vs_pyzmq(size):
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    zf, py = zmqfast.Frame(data), pyzmq.Frame(data)
    assert bytes(zf) == bytes(py) == data
    assert zf.bytes == py.bytes
    assert len(zf) == len(py)
    assert isinstance(zf.buffer, memoryview)
    assert zf.buffer.tobytes() == py.buffer.tobytes()
    assert memoryview(zf).tobytes() == data
    assert repr(zf) == repr(py)
    assert str(zf) == str(py)
    assert zf.more is py.more is False


def test_frame_from_buffers_vs_pyzmq():
    for obj in (bytearray(b"abc"), memoryview(b"abcd"), b"q"):
        assert zmqfast.Frame(obj).bytes == pyzmq.Frame(obj).bytes
    with pytest.raises(TypeError):
        zmqfast.Frame("text")
    with pytest.raises(TypeError):
        pyzmq.Frame("text")


@pytest.mark.parametrize("mod", [zmqfast, pyzmq], ids=["zmqfast", "pyzmq"])
def test_frame_more_on_recv(mod):
    context = mod.Context()
    a, b = context.socket(mod.PAIR), context.socket(mod.PAIR)
    a.linger = b.linger = 0
    b.rcvtimeo = TIMEOUT_MS
    a.bind("inproc://frames")
    b.connect("inproc://frames")
    a.send_multipart([b"one", b"two"])
    first = b.recv(copy=False)
    second = b.recv(copy=False)
    assert isinstance(first, mod.Frame)
    assert (first.more, second.more) == (True, False)
    assert (first.get(mod.MORE), second.get(mod.MORE)) == (1, 0)
    assert (first.bytes, second.bytes) == (b"one", b"two")
    frames = b.recv_multipart(copy=False) if b.poll(0) else None
    assert frames is None
    a.close()
    b.close()
    context.term()
