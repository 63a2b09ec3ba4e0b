"""Every module pyzmq code can import exists in zmqfast, with the same public names; and the
small modules among them (utils.interop, utils.garbage, curve_keygen, log.__main__,
backend.select/cython/cffi, _future, eventloop.future) behave as pyzmq's.

The module list is pyzmq's own tree (pkgutil.walk_packages), compared side by side: pyzmq's
public names (its ``__all__``, or else the non-underscore names the module defines itself)
must all be attributes of zmqfast's module, and when both define ``__all__``, pyzmq's must be
contained in zmqfast's (so ``from zmq.X import *`` gives the same names)."""

import __future__
import importlib
import importlib.util
import json
import pkgutil
import signal
import struct
import subprocess
import sys
import threading
import time
import types
import typing
import warnings

import pytest

import zmq as _pyzmq

# pyzmq modules not compared, and why:
SKIPPED = {
    # pyzmq's own test suite, not an API
    "zmq.tests": "pyzmq's test suite",
    # the compiled Cython extension behind zmq.backend.cython (private, named with "_"); what
    # code imports is zmq.backend.cython, whose names are compared
    "zmq.backend.cython._zmq": "private compiled module",
    # the pre-tornado-5 IOLoop: needs zmq.eventloop.minitornado, which pyzmq no longer ships,
    # so pyzmq itself cannot import it
    "zmq.eventloop._deprecated": "not importable in pyzmq either",
}
# pyzmq modules that zmqfast deliberately does not provide: importing them raises ImportError
NOT_PROVIDED = {
    "zmq.backend.cffi": "single backend",  # pyzmq's cffi binding to libzmq (for PyPy)
}
# what the module needs beyond zmqfast itself
NEEDS = {"zmq.green": "gevent", "zmq.eventloop": "tornado"}


def _walk(path, prefix):
    # pkgutil.walk_packages, without importing the skipped packages (zmq.tests warns)
    for m in pkgutil.iter_modules(path, prefix):
        if m.name in SKIPPED:
            continue
        yield m.name
        if m.ispkg and m.name not in NOT_PROVIDED:
            yield from _walk(importlib.util.find_spec(m.name).submodule_search_locations,
                             m.name + ".")


def _pyzmq_modules():
    return ["zmq"] + list(_walk(_pyzmq.__path__, "zmq."))


PYZMQ_MODULES = _pyzmq_modules()


def _needs(name):
    for prefix, dist in NEEDS.items():
        if name == prefix or name.startswith(prefix + "."):
            pytest.importorskip(dist)


def _import(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # eventloop.ioloop says it is
        return importlib.import_module(name)


def _defined_here(mod):
    """The non-underscore names mod defines itself (not what it merely imports)."""
    out = set()
    for k, v in vars(mod).items():
        if k.startswith("_") or k == "TYPE_CHECKING":
            continue
        if isinstance(v, (types.ModuleType, __future__._Feature, typing.TypeVar)):
            continue
        owner = getattr(v, "__module__", None)
        if isinstance(owner, str):
            if owner != mod.__name__:
                continue  # imported from elsewhere
        elif callable(v):
            continue
        out.add(k)
    return out


def _public(mod):
    if hasattr(mod, "__all__"):
        return set(mod.__all__)
    return _defined_here(mod)


def test_the_module_list_is_pyzmq_27s():
    # a sanity check on the walk itself: the modules this task is about are in it
    for name in ("zmq.green", "zmq.green.core", "zmq.green.poll", "zmq.green.device",
                 "zmq.green.eventloop.zmqstream", "zmq.ssh.tunnel", "zmq.ssh.forward",
                 "zmq._future", "zmq.eventloop.future", "zmq.curve_keygen", "zmq.log.__main__",
                 "zmq.utils.interop", "zmq.utils.garbage", "zmq.backend.select",
                 "zmq.backend.cython", "zmq.backend.cffi", "zmq.devices.proxysteerabledevice"):
        assert name in PYZMQ_MODULES


@pytest.mark.parametrize("name", PYZMQ_MODULES)
def test_module_exists_with_pyzmqs_public_names(name, zmq):
    _needs(name)
    ours = zmq.__name__ + name[len("zmq"):]
    if name in NOT_PROVIDED:
        if zmq.__name__ == "zmq":
            pytest.skip("pyzmq provides it")
        with pytest.raises(ImportError, match=NOT_PROVIDED[name]):
            _import(ours)
        return
    theirs = _import(name)
    mine = _import(ours)
    missing = sorted(n for n in _public(theirs) if not hasattr(mine, n))
    assert missing == [], f"{ours} lacks {missing}"
    if hasattr(theirs, "__all__") and hasattr(mine, "__all__"):
        assert sorted(set(theirs.__all__) - set(mine.__all__)) == []


# -- the small modules' behaviour --


def test_interop_cast_int_addr(zmq, ctx):
    interop = importlib.import_module(zmq.__name__ + ".utils.interop")
    assert interop.cast_int_addr(12345) == 12345
    s = ctx.socket(zmq.PAIR)
    assert interop.cast_int_addr(s.underlying) == s.underlying
    s.close()
    with pytest.raises(ValueError):
        interop.cast_int_addr("0x10")
    cffi = pytest.importorskip("cffi")
    ffi = cffi.FFI()
    assert interop.cast_int_addr(ffi.cast("void *", 4096)) == 4096


def test_garbage_collector_releases_what_it_is_told_to(zmq):
    garbage = importlib.import_module(zmq.__name__ + ".utils.garbage")
    gc = garbage.GarbageCollector()
    try:
        event = threading.Event()
        obj = bytearray(b"held")
        key = gc.store(obj, event)
        assert gc.is_alive() and gc.refs[key].obj is obj
        push = gc.context.socket(zmq.PUSH)
        push.connect(gc.url)
        push.send(struct.pack("Q", key))
        assert event.wait(5)
        assert key not in gc.refs
        push.close()
    finally:
        gc.stop()
    assert not gc.is_alive()
    assert isinstance(garbage.gc, garbage.GarbageCollector)


def test_curve_keygen_script(zmq, subprocess_env):
    mod = zmq.__name__ + ".curve_keygen"
    out = subprocess.run([sys.executable, "-m", mod, "--json"], env=subprocess_env,
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    keys = json.loads(out.stdout)
    assert len(keys["public"]) == len(keys["secret"]) == 40
    assert zmq.curve_public(keys["secret"].encode()).decode() == keys["public"]
    # Z85 may begin a key with '-', which argparse reads as an option unless it is joined
    # with '=': the generated pair, and a fixed secret that starts with '-', both that way
    secret_dash = "-!uun3i5[ZhPZgWi2ks[&S1ccgaz/vl#/y^]}N-Q"
    public_dash = zmq.curve_public(secret_dash.encode()).decode()
    for public, secret in ((keys["public"], keys["secret"]), (public_dash, secret_dash)):
        out = subprocess.run([sys.executable, "-m", mod, f"--secret={secret}"],
                             env=subprocess_env, capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split("\n") == ["== CURVE PUBLIC KEY ==", public, "",
                                          "== CURVE SECRET KEY ==", secret, ""]


def test_log_watcher_cli_prints_published_records(zmq, ctx, subprocess_env):
    handlers = importlib.import_module(zmq.__name__ + ".log.handlers")
    import logging

    pub = ctx.socket(zmq.PUB)
    pub.linger = 0
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    proc = subprocess.Popen([sys.executable, "-u", "-m", zmq.__name__ + ".log",
                             f"tcp://127.0.0.1:{port}", "--separator", " || "],
                            env=subprocess_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    logger = logging.getLogger("zf-test-log-watcher")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = handlers.PUBHandler(pub)
    logger.addHandler(handler)
    try:
        got = []

        def read():
            got.append(proc.stdout.readline())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        deadline = time.monotonic() + 10
        while reader.is_alive() and time.monotonic() < deadline:
            logger.info("hello watcher")  # until the subscription is in place
            reader.join(0.05)
        assert got and got[0].startswith("INFO"), (got, proc.stderr)
        assert got[0].rstrip("\n").endswith(" || hello watcher")
    finally:
        logger.removeHandler(handler)
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        pub.close()


def test_backend_select_and_cython(zmq):
    select = importlib.import_module(zmq.__name__ + ".backend.select")
    cython = importlib.import_module(zmq.__name__ + ".backend.cython")
    ns = select.select_backend(zmq.__name__ + ".backend.cython")
    assert set(select.public_api) <= set(ns) and "monitored_queue" in ns
    assert ns["Socket"] is cython.Socket
    assert issubclass(zmq.Socket, cython.Socket) and issubclass(zmq.Context, cython.Context)
    assert cython.Message is cython.Frame


@pytest.mark.zmqfast_only
def test_backend_cffi_and_unknown_backends_are_clear_import_errors(zmq):
    select = importlib.import_module("zmqfast.backend.select")
    for name in ("zmq.backend.cffi", "zmqfast.backend.cffi", "nonesuch"):
        with pytest.raises(ImportError, match="single backend"):
            select.select_backend(name)
    assert select.select_backend("zmq.backend.cython")["Socket"] is zmq.backend.Socket


def test_future_base_is_what_asyncio_builds_on(zmq):
    future = importlib.import_module(zmq.__name__ + "._future")
    aio = importlib.import_module(zmq.__name__ + ".asyncio")
    assert issubclass(aio.Socket, future._AsyncSocket)
    assert issubclass(aio.Poller, future._AsyncPoller)


def test_eventloop_future_in_a_tornado_coroutine(zmq):
    pytest.importorskip("tornado")
    from tornado.ioloop import IOLoop

    ef = importlib.import_module(zmq.__name__ + ".eventloop.future")
    seen = []

    async def main():
        ctx = ef.Context()
        a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
        assert isinstance(a, ef.Socket)
        port = a.bind_to_random_port("tcp://127.0.0.1")
        b.connect(f"tcp://127.0.0.1:{port}")
        await b.send_multipart([b"x", b"y"])
        seen.append(await a.recv_multipart())
        p = ef.Poller()
        p.register(a, zmq.POLLIN)
        seen.append(await p.poll(50))
        a.close(linger=0)
        b.close(linger=0)
        ctx.term()

    IOLoop.current().run_sync(main, timeout=10)
    assert seen == [[b"x", b"y"], []]
