"""Error numbers of socket errors: the constants are the numbers the engine reports.

On Windows the engine (like libzmq, and so pyzmq) reports the C runtime's errno values
(EADDRINUSE 100), while Python's errno module gives Winsock's (10048) for the same names; the
constants must follow the engine. These run everywhere; .ci/wine-python runs them with the
official Windows CPython under Wine.
"""

import errno
import sys

import pytest

from conftest import make_fast

# MSVC's <errno.h> (VS 2010 and later), which mingw-w64's matches: what libzmq reports on Windows
WINDOWS_CRT = {
    "EADDRINUSE": 100, "EADDRNOTAVAIL": 101, "EAFNOSUPPORT": 102, "ECONNABORTED": 106,
    "ECONNREFUSED": 107, "ECONNRESET": 108, "EHOSTUNREACH": 110, "EINPROGRESS": 112,
    "EMSGSIZE": 115, "ENETDOWN": 116, "ENETRESET": 117, "ENETUNREACH": 118, "ENOBUFS": 119,
    "ENOTCONN": 126, "ENOTSOCK": 128, "ENOTSUP": 129, "EPROTONOSUPPORT": 135, "ETIMEDOUT": 138,
}


@pytest.mark.parametrize("name", sorted(WINDOWS_CRT))
def test_socket_error_constants_are_the_c_library_numbers(zmq, name):
    want = WINDOWS_CRT[name] if sys.platform == "win32" else getattr(errno, name)
    assert getattr(zmq, name) == want
    assert zmq.Errno[name] == want


def test_second_bind_to_a_port_raises_eaddrinuse_equal_to_the_constant(zmq, ctx):
    a = make_fast(ctx.socket(zmq.PULL))
    port = a.bind_to_random_port("tcp://127.0.0.1")
    b = make_fast(ctx.socket(zmq.PULL))
    with pytest.raises(zmq.ZMQError) as info:
        b.bind(f"tcp://127.0.0.1:{port}")
    assert info.value.errno == zmq.EADDRINUSE
    assert zmq.Errno(info.value.errno) is zmq.Errno.EADDRINUSE
    # a real message, not the C runtime's "Unknown error" for a number it has no text for
    assert "unknown" not in zmq.strerror(info.value.errno).lower()
    assert "unknown" not in str(info.value).lower()


def test_every_socket_error_constant_has_a_message(zmq):
    for name in WINDOWS_CRT:
        text = zmq.strerror(getattr(zmq, name))
        assert text and "unknown" not in text.lower(), (name, text)

