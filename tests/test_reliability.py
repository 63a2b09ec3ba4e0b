"""Reliability under hostile settings: allocator hooks (tracemalloc started and stopped), leak
counters, a socket closed under a thread blocked on it, many threads driving one I/O thread.
The crash and hang cases run in a child interpreter with a timeout, so a regression fails the
test instead of taking the test run down with it."""

import subprocess
import sys
import textwrap

import pytest

from conftest import FAST_TIMEOUT_MS, IMPL_NAME


def _run_child(env, code, args=(), timeout=90):
    try:
        r = subprocess.run([sys.executable, *args, "-c", textwrap.dedent(code)], env=env,
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the child hung for {timeout} s")
    assert r.returncode == 0, f"exit {r.returncode}: {r.stderr[-3000:]}"
    return r.stdout


_PRELUDE = f"""
    import importlib, threading, time
    zmq = importlib.import_module({IMPL_NAME!r})
"""


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
def test_large_frames_arrive_after_tracemalloc_is_stopped(subprocess_env, transport):
    out = _run_child(subprocess_env, _PRELUDE + f"""
    import tracemalloc
    assert tracemalloc.is_tracing()
    tracemalloc.stop()
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL); pull.setsockopt(zmq.RCVTIMEO, 10000); pull.setsockopt(zmq.LINGER, 0)
    pull.bind("{transport}://127.0.0.1:*" if "{transport}" == "tcp" else "ipc://*")
    push = ctx.socket(zmq.PUSH); push.setsockopt(zmq.LINGER, 0)
    push.connect(pull.last_endpoint)
    for n in (9000, 70000, 1 << 20):
        for i in range(20):
            m = bytes([i]) * n
            push.send(m)
            assert pull.recv() == m
        tracemalloc.start(); tracemalloc.stop()  # hooks put in and taken out again
    push.close(); pull.close(); ctx.term()
    print("ok")
    """, args=["-X", "tracemalloc"])
    assert out.split() == ["ok"]


def test_binding_while_large_frames_arrive_under_tracemalloc_does_not_deadlock(subprocess_env):
    out = _run_child(subprocess_env, _PRELUDE + """
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL); pull.setsockopt(zmq.LINGER, 0); pull.setsockopt(zmq.RCVTIMEO, 20000)
    pull.bind("tcp://127.0.0.1:*")
    stop = threading.Event()
    got = [0]

    def send():
        push = ctx.socket(zmq.PUSH); push.setsockopt(zmq.LINGER, 0); push.setsockopt(zmq.SNDTIMEO, 200)
        push.connect(pull.last_endpoint)
        m = b"x" * 20000
        while not stop.is_set():
            try:
                push.send(m)
            except zmq.Again:
                pass
        push.close()

    def recv():
        while not stop.is_set():
            try:
                pull.recv()
                got[0] += 1
            except zmq.Again:
                pass

    threads = [threading.Thread(target=send), threading.Thread(target=recv)]
    for t in threads:
        t.start()
    other = ctx.socket(zmq.PUB); other.setsockopt(zmq.LINGER, 0)
    for i in range(400):
        other.bind("tcp://127.0.0.1:*")
        ep = other.last_endpoint
        peer = ctx.socket(zmq.SUB); peer.setsockopt(zmq.LINGER, 0)
        peer.connect(ep); peer.disconnect(ep); peer.close()
        other.unbind(ep)
    stop.set()
    for t in threads:
        t.join()
    other.close(); pull.close(); ctx.term()
    print("ok", got[0] > 0)
    """, args=["-X", "tracemalloc"], timeout=120)
    assert out.split() == ["ok", "True"]


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
def test_receiving_large_frames_leaves_allocated_block_count_steady(zmq, ctx, bind, transport):
    pull = ctx.socket(zmq.PULL)
    pull.setsockopt(zmq.RCVTIMEO, FAST_TIMEOUT_MS)
    pull.setsockopt(zmq.LINGER, 0)
    addr = bind(pull, transport)
    push = ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 0)
    push.connect(addr)
    m = b"y" * 10000

    def exchange(n):
        for _ in range(n):
            push.send(m)
            pull.recv()

    exchange(200)  # warm caches and free lists
    before = sys.getallocatedblocks()
    exchange(3000)
    drift = sys.getallocatedblocks() - before
    assert -100 < drift < 100, drift
