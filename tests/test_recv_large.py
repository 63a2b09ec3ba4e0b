"""Large frames read from a connection. The I/O thread never calls Python's allocator: it reads
a frame into a bytes object recv() made ahead for frames of about that size (_restock in
_core.pyx), else into a malloc'ed buffer that recv() copies; recv(copy=False) shares the buffer.
Whatever the allocator setup, what recv() returns must be an ordinary bytes object that
outlives the socket and the context, and Python's allocation counters stay exact."""

import gc
import pickle
import subprocess
import sys
import sysconfig
import textwrap

import pytest
from conftest import make_fast

SIZES = [600, 8191, 65536, 1 << 20, (3 << 20) + 7]


# What sys.getrefcount says of a local that nothing else holds: 2 before 3.14; from 3.14 the
# interpreter lends the argument without taking a reference, so 1.
_ONLY_LOCAL = 1 if sys.version_info >= (3, 14) else 2


def _slow(sock):
    # LINGER 0, and 10 s to send or receive a frame of megabytes on a busy machine
    return make_fast(sock, 10000)


def _payload(n):
    return (bytes(range(256)) * (n // 256 + 1))[:n]


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
def test_large_received_frames_are_ordinary_bytes(zmq, ctx, transport, connected):
    pull, push = connected("PULL", "PUSH", transport, context=ctx, setup=_slow)
    for n in SIZES:
        want = _payload(n)
        push.send(want)
        got = pull.recv()
        assert type(got) is bytes and len(got) == n and got == want
        assert hash(got) == hash(bytes(want))  # the hash cache starts empty
        assert got[-1:] == want[-1:] and got + b"!" == want + b"!"
        assert pickle.loads(pickle.dumps(got)) == want
        assert memoryview(got).readonly
        assert sys.getrefcount(got) == _ONLY_LOCAL


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
def test_received_bytes_outlive_socket_and_context(zmq, transport, connected):
    ctx = zmq.Context()
    pull, push = connected("PULL", "PUSH", transport, context=ctx, setup=_slow)
    kept = []
    for n in SIZES:
        push.send(_payload(n))
        kept.append(pull.recv())
    parts = [_payload(70000), b"small", _payload(1 << 20)]
    push.send_multipart(parts)
    kept.append(pull.recv_multipart())
    push.close()
    pull.close()
    ctx.term()
    gc.collect()
    for n, got in zip(SIZES, kept):
        assert got == _payload(n)
    assert kept[-1] == parts


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
def test_large_frames_of_nearby_sizes_come_back_exact(zmq, ctx, transport, connected):
    """Buffers made for one size take frames up to 1/8 smaller; each frame must still come back
    as exactly its own bytes, whether read one by one or queued ahead."""
    pull, push = connected("PULL", "PUSH", transport, context=ctx, setup=_slow)
    sizes = [100000, 100000, 95000, 87500, 100000, 87499, 120000, 100001, 40000, 32768, 32767,
             1 << 20, (1 << 20) - 1000, 1 << 20]

    def check(got, want):
        assert type(got) is bytes and len(got) == len(want) and got == want
        assert hash(got) == hash(bytes(want))
        assert got + b"!" == want + b"!" and got[-3:] == want[-3:]
        assert pickle.loads(pickle.dumps(got)) == want
        assert memoryview(got).nbytes == len(want)

    for i, n in enumerate(sizes):
        want = bytes([i]) * n
        push.send(want)
        got = pull.recv()
        assert sys.getrefcount(got) == _ONLY_LOCAL
        check(got, want)
    wants = [bytes([i]) + _payload(n) for i, n in enumerate(sizes)]
    for w in wants:
        push.send(w)
    for w in wants:
        got = pull.recv()
        assert sys.getrefcount(got) == _ONLY_LOCAL
        check(got, w)
    push.send_multipart(wants[:4])
    parts = pull.recv_multipart()
    assert parts == wants[:4] and all(type(p) is bytes for p in parts)


def test_frames_received_without_copy_still_share_the_engine_buffer(zmq, connected):
    pull, push = connected("PULL", "PUSH", "tcp", setup=_slow)
    want = _payload(1 << 20)
    push.send(want)
    fr = pull.recv(copy=False)
    assert isinstance(fr, zmq.Frame) and fr.bytes == want and bytes(fr.buffer) == want
    del fr
    push.send(want)
    assert pull.recv() == want


_CHILD = textwrap.dedent("""
    import gc, os, sys
    import zmqfast as zmq
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL); pull.setsockopt(zmq.RCVTIMEO, 10000)
    pull.bind("tcp://127.0.0.1:*")
    push = ctx.socket(zmq.PUSH); push.connect(pull.last_endpoint)

    def run(first, last):
        keep = []
        for i in range(first, last):
            n = (i * 7919) % (1 << 20) + 600
            m = bytes([i % 256]) * n
            push.send(m)
            got = pull.recv()
            assert got == m and type(got) is bytes, i
            if i % 10 == 0:
                keep.append(got)
            del got
            if i % 50 == 0:
                gc.collect()

    run(0, 30)  # whatever is made once, on first use
    [bytes([k]) for k in range(256)]  # up to 3.10, one-byte bytes are cached on first use
    gc.collect()
    blocks = sys.getallocatedblocks()
    run(30, 330)
    gc.collect()
    drift = sys.getallocatedblocks() - blocks
    assert -50 < drift < 50, drift
    push.close(); pull.close(); ctx.term()
    print("ok")
""")



@pytest.mark.parametrize("env,args", [
    ({}, []),
    ({}, ["-X", "tracemalloc"]),
    ({"PYTHONMALLOC": "malloc"}, []),
    ({"PYTHONMALLOC": "pymalloc"}, []),
    ({"PYTHONMALLOC": "debug"}, []),
    ({"PYTHONMALLOC": "malloc_debug"}, ["-X", "tracemalloc"]),
    ({}, ["-X", "dev"]),
])
def test_received_bytes_are_sound_under_every_allocator_setup(zmq, subprocess_env, env, args):
    """Plain, debug and tracing allocators alike: the child sees the right bytes, its block
    count does not drift, and it exits cleanly."""
    if zmq.__name__ != "zmqfast":
        pytest.skip("zmqfast's receive path")
    if sysconfig.get_config_var("Py_GIL_DISABLED") and \
            env.get("PYTHONMALLOC") in ("malloc", "pymalloc", "malloc_debug"):
        pytest.skip(f"a free-threaded CPython refuses PYTHONMALLOC={env['PYTHONMALLOC']} (mimalloc only)")
    e = dict(subprocess_env, **env)
    r = subprocess.run([sys.executable, *args, "-c", _CHILD], env=e, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["ok"]
