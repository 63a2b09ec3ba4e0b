"""Shared fixtures.

The implementation under test comes from the ZMQFAST_IMPL environment variable (default
``zmqfast``); ``ZMQFAST_IMPL=zmq`` runs the same tests against pyzmq/libzmq, which validates
them. Tests take the ``zmq`` fixture instead of importing zmqfast at module level. Tests for
things pyzmq lacks carry ``@pytest.mark.zmqfast_only``.
"""

import importlib
import itertools
import os
import shutil
import sys
import tempfile
import time

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMPL_NAME = os.environ.get("ZMQFAST_IMPL", "zmqfast")
IS_ZMQFAST = IMPL_NAME == "zmqfast"

# Windows (the official CPython, run by .ci/wine-python under Wine, or a Windows runner): pyzmq may
# not be installed there (no libzmq for that Python under Wine), so tests that need it as the
# reference peer skip instead of failing; elsewhere a missing pyzmq stays an error.
IS_WINDOWS = sys.platform == "win32"

# Timeout (ms) put on sockets so that a bug fails a test quickly instead of hanging it.
FAST_TIMEOUT_MS = 5000

_counter = itertools.count()


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "zmqfast_only: tests zmqfast-specific behaviour (skipped when ZMQFAST_IMPL is not zmqfast)",
    )


def pytest_collection_modifyitems(config, items):
    if IS_ZMQFAST:
        return
    skip = pytest.mark.skip(reason=f"zmqfast_only (ZMQFAST_IMPL={IMPL_NAME})")
    for item in items:
        if "zmqfast_only" in item.keywords:
            item.add_marker(skip)


def _import_impl(name):
    # The lead may rebuild the extension in place while tests run: retry a transient failure.
    last = None
    for _ in range(20):
        try:
            return importlib.import_module(name)
        except ImportError as e:  # pragma: no cover - only while a rebuild is under way
            last = e
            for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
                del sys.modules[mod]
            time.sleep(0.5)
    raise last


@pytest.fixture(scope="session")
def zmq():
    """The implementation under test (zmqfast, or pyzmq with ZMQFAST_IMPL=zmq)."""
    return _import_impl(IMPL_NAME)


@pytest.fixture(scope="session")
def pyzmq():
    """pyzmq on libzmq: the reference peer."""
    if IS_WINDOWS:
        return pytest.importorskip("zmq", reason="pyzmq is not installed in this Windows Python")
    import zmq as _pyzmq

    return _pyzmq


def pyzmq_module(name):
    """A pyzmq module a test uses as its reference (zmq.utils.z85...): skips the test on
    Windows when pyzmq is not installed there, as the pyzmq fixture does."""
    if IS_WINDOWS:
        return pytest.importorskip(name, reason="pyzmq is not installed in this Windows Python")
    return importlib.import_module(name)


_ipc_works = None


def ipc_unavailable(zmq):
    """None where ipc:// can be bound, else why not. Only Windows is asked: Windows 10 1803+ has
    AF_UNIX stream sockets, Wine 8 has none (socket(AF_UNIX) fails), and the engine's bind says
    which."""
    global _ipc_works
    if not IS_WINDOWS:
        return None
    if _ipc_works is None:
        c = zmq.Context()
        s = c.socket(zmq.PAIR)
        try:
            s.bind("ipc://*")
            _ipc_works = ""
        except zmq.ZMQError as e:
            _ipc_works = f"ipc:// cannot be bound here ({e}): no AF_UNIX sockets (Wine 8 has none)"
        finally:
            s.close(linger=0)
            c.term()
    return _ipc_works or None


@pytest.fixture
def ctx(zmq):
    c = zmq.Context()
    yield c
    c.destroy(linger=0)


@pytest.fixture
def pctx(pyzmq):
    c = pyzmq.Context()
    yield c
    c.destroy(linger=0)


@pytest.fixture
def ipc_dir():
    # /tmp keeps ipc paths short (sun_path is 108 bytes); Windows has no /tmp
    d = tempfile.mkdtemp(prefix="zf", dir=None if IS_WINDOWS else "/tmp")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def endpoint(ipc_dir, zmq):
    """endpoint(transport) -> an address to bind: tcp with an ephemeral port, a unique ipc
    path, or a unique inproc name. An ipc endpoint skips the test where ipc cannot work."""

    def make(transport):
        n = next(_counter)
        if transport == "tcp":
            return "tcp://127.0.0.1:*"
        if transport == "ipc":
            why = ipc_unavailable(zmq)
            if why:
                pytest.skip(why)
            return f"ipc://{ipc_dir}/s{n}"
        if transport == "inproc":
            return f"inproc://zf-test-{os.getpid()}-{n}"
        raise ValueError(transport)

    return make


def _last_endpoint(sock):
    le = sock.getsockopt(32)  # LAST_ENDPOINT
    return le.decode() if isinstance(le, bytes) else le


@pytest.fixture
def bind(endpoint):
    """bind(sock, transport) -> binds sock to a fresh endpoint, returns the address to connect to."""

    def do(sock, transport):
        sock.bind(endpoint(transport))
        return _last_endpoint(sock)

    return do


def make_fast(sock, timeout_ms=FAST_TIMEOUT_MS):
    """RCVTIMEO/SNDTIMEO and LINGER=0 so that a bug fails fast instead of hanging."""
    sock.setsockopt(27, timeout_ms)  # RCVTIMEO
    sock.setsockopt(28, timeout_ms)  # SNDTIMEO
    sock.setsockopt(17, 0)  # LINGER
    return sock


@pytest.fixture
def fast():
    """fast(sock, timeout_ms=5000) -> sock with RCVTIMEO/SNDTIMEO set and LINGER=0."""
    return make_fast


@pytest.fixture
def subprocess_env():
    """Environment for child interpreters: the in-place build is importable."""
    return child_env()


def skip_unless_installed(*names):
    """Skip the calling test module when a package it runs in child processes is missing, without
    importing the package here (Locust, for one, monkey-patches the process with gevent)."""
    import importlib.util

    missing = [n for n in names if importlib.util.find_spec(n) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}", allow_module_level=True)


def child_env():
    """A fresh environment for a child interpreter (what subprocess_env gives, for fixtures of a
    wider scope)."""
    env = dict(os.environ)
    # the source tree only when it holds a built extension (an in-place or editable build);
    # otherwise the installed package is what the children must import
    import glob

    if glob.glob(os.path.join(REPO_ROOT, "zmqfast", "_core*.so")):
        env["PYTHONPATH"] = REPO_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["ZMQFAST_IMPL"] = IMPL_NAME
    return env


@pytest.fixture
def aio(zmq):
    """The implementation's asyncio module (zmqfast.asyncio or zmq.asyncio)."""
    import importlib

    return importlib.import_module(zmq.__name__ + ".asyncio")


@pytest.fixture
def actx(aio):
    """An asyncio Context, destroyed (linger 0) after the test."""
    c = aio.Context()
    yield c
    c.destroy(linger=0)


# ---- raw ZMTP peers (tests/zmtp_peer.py) and connected socket pairs --------------------------


@pytest.fixture
def raw_listener():
    """A plain TCP listener on 127.0.0.1 (zmtp_peer.listener), closed at teardown."""
    import zmtp_peer

    srv = zmtp_peer.listener()
    yield srv
    srv.close()


@pytest.fixture
def raw_connect():
    """raw_connect(port or tcp:// endpoint) -> a plain TCP connection (zmtp_peer.connect), closed
    at teardown."""
    import zmtp_peer

    opened = []

    def connect(target):
        s = zmtp_peer.connect(target)
        opened.append(s)
        return s

    yield connect
    for s in opened:
        s.close()


def make_linger0(sock):
    """LINGER=0 only (no timeouts): a connected() setup for tests that block on purpose."""
    sock.setsockopt(17, 0)  # LINGER
    return sock


@pytest.fixture
def connected(zmq, ctx, bind):
    """connected(bind_type, connect_type, transport="inproc", context=ctx, setup=make_fast)
    -> (bound socket, connecting socket): two sockets of the given types (constants or names
    such as "PUSH"), each passed through setup (make_fast: timeouts and LINGER 0; make_linger0;
    None: as created) before the first binds to a fresh endpoint of transport and the second
    connects to it."""

    def make(bind_type, connect_type, transport="inproc", context=None, setup=make_fast):
        c = ctx if context is None else context

        def new(t):
            s = c.socket(getattr(zmq, t) if isinstance(t, str) else t)
            return setup(s) if setup else s

        a = new(bind_type)
        b = new(connect_type)
        b.connect(bind(a, transport))
        return a, b

    return make
