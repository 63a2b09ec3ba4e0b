"""zmqfast offers pyzmq 27's public names and module paths (lists taken from pyzmq at test time)."""

import importlib
import importlib.util

import pytest

import zmq as pyzmq
import zmq.backend as py_backend
import zmq.constants as py_constants
import zmq.error as py_error
import zmq.sugar as py_sugar

import zmqfast


# name -> why zmqfast may lack it. Keep short: every entry is a gap to close.
TOP_LEVEL_EXCEPTIONS: dict[str, str] = {}


def test_top_level_all():
    missing = [n for n in pyzmq.__all__
               if not hasattr(zmqfast, n) and n not in TOP_LEVEL_EXCEPTIONS]
    assert missing == []


def test_top_level_exceptions_still_needed():
    # an exception that zmqfast has since filled should be dropped from the list
    assert [n for n in TOP_LEVEL_EXCEPTIONS if hasattr(zmqfast, n)] == []


def test_constants_all():
    import zmqfast.constants as zf

    assert [n for n in py_constants.__all__ if not hasattr(zf, n)] == []


def test_error_all():
    import zmqfast.error as zf

    assert [n for n in py_error.__all__ if not hasattr(zf, n)] == []
    for name in py_error.__all__:
        py_obj = getattr(py_error, name)
        if isinstance(py_obj, type) and issubclass(py_obj, BaseException):
            # the exception hierarchy matches
            zf_obj = getattr(zf, name)
            for base in py_obj.__mro__[1:]:
                if base.__module__ == "zmq.error":
                    assert issubclass(zf_obj, getattr(zf, base.__name__)), (name, base)


def test_sugar_all():
    import zmqfast.sugar as zf

    assert [n for n in py_sugar.__all__ if not hasattr(zf, n)] == []


def test_backend_all():
    import zmqfast.backend as zf

    assert [n for n in py_backend.__all__ if not hasattr(zf, n)] == []
    # the backend classes are the bases of the public ones, as in pyzmq
    assert issubclass(zmqfast.Socket, zf.Socket)
    assert issubclass(zmqfast.Context, zf.Context)
    assert zf.Frame is zmqfast.Frame


SUGAR_MODULES = ["socket", "context", "frame", "poll", "tracker", "version", "stopwatch",
                 "attrsettr"]


@pytest.mark.parametrize("sub", SUGAR_MODULES)
def test_sugar_submodule(sub):
    py_mod = importlib.import_module(f"zmq.sugar.{sub}")
    zf_mod = importlib.import_module(f"zmqfast.sugar.{sub}")
    names = getattr(py_mod, "__all__", None) or [n for n in vars(py_mod) if n[:1].isupper()]
    assert [n for n in names if not hasattr(zf_mod, n)] == []


def test_sugar_identities():
    from zmqfast.sugar.context import Context
    from zmqfast.sugar.frame import Frame, Message
    from zmqfast.sugar.poll import Poller
    from zmqfast.sugar.socket import Socket
    from zmqfast.sugar.tracker import _FINISHED_TRACKER, MessageTracker
    from zmqfast.sugar.version import __version__

    assert Socket is zmqfast.Socket and Context is zmqfast.Context
    assert Frame is Message is zmqfast.Frame
    assert Poller is zmqfast.Poller and MessageTracker is zmqfast.MessageTracker
    assert _FINISHED_TRACKER.done
    assert __version__ == zmqfast.__version__


def test_stopwatch():
    from zmqfast.sugar.stopwatch import Stopwatch

    with pytest.warns(DeprecationWarning):
        w = Stopwatch()
    w.start()
    us = w.stop()
    assert isinstance(us, int) and 0 <= us < 1_000_000


MODULE_PATHS = [
    "zmqfast.sugar", "zmqfast.sugar.socket", "zmqfast.sugar.context", "zmqfast.sugar.frame",
    "zmqfast.sugar.poll", "zmqfast.sugar.tracker", "zmqfast.sugar.version",
    "zmqfast.sugar.stopwatch", "zmqfast.backend", "zmqfast.constants", "zmqfast.error",
    "zmqfast.utils.z85", "zmqfast.utils.jsonapi", "zmqfast.utils.monitor",
    "zmqfast.utils.strtypes", "zmqfast.utils.win32", "zmqfast.decorators", "zmqfast.log",
    "zmqfast.log.handlers", "zmqfast.eventloop",
]


@pytest.mark.parametrize("path", MODULE_PATHS)
def test_module_imports(path):
    importlib.import_module(path)


def test_utils_names():
    import zmqfast.utils.jsonapi
    import zmqfast.utils.monitor
    import zmqfast.utils.z85
    import zmq.utils.jsonapi
    import zmq.utils.monitor
    import zmq.utils.z85

    for py_mod, zf_mod in [(zmq.utils.z85, zmqfast.utils.z85),
                           (zmq.utils.jsonapi, zmqfast.utils.jsonapi),
                           (zmq.utils.monitor, zmqfast.utils.monitor)]:
        public = [n for n in vars(py_mod) if not n.startswith("_") and callable(vars(py_mod)[n])
                  and getattr(vars(py_mod)[n], "__module__", None) == py_mod.__name__]
        assert [n for n in public if not hasattr(zf_mod, n)] == [], py_mod.__name__


def test_py_typed():
    import os

    assert os.path.exists(os.path.join(os.path.dirname(zmqfast.__file__), "py.typed"))


@pytest.mark.skipif(importlib.util.find_spec("tornado") is None, reason="tornado not installed")
def test_eventloop_with_tornado():
    import warnings

    import tornado.ioloop

    from zmqfast.eventloop import IOLoop
    from zmqfast.eventloop.zmqstream import ZMQStream

    assert IOLoop is tornado.ioloop.IOLoop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from zmqfast.eventloop.ioloop import ZMQIOLoop
    assert ZMQIOLoop is IOLoop
    for name in ("on_recv", "on_recv_stream", "on_send", "on_send_stream", "send",
                 "send_multipart", "send_string", "send_json", "send_pyobj", "flush",
                 "stop_on_recv", "stop_on_send", "close", "closed", "receiving", "sending",
                 "set_close_callback"):
        assert callable(getattr(ZMQStream, name)), name


def test_zmqstream_without_tornado(monkeypatch):
    import sys

    # hide tornado (and any cached import of the stream module) and expect a clear ImportError
    for mod in [m for m in sys.modules if m == "tornado" or m.startswith("tornado.")
                or m.startswith("zmqfast.eventloop.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "tornado", None)
    with pytest.raises(ImportError, match="tornado"):
        importlib.import_module("zmqfast.eventloop.zmqstream")
