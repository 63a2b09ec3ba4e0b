"""Blocking calls release the GIL and stay interruptible by Ctrl-C."""

import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conftest import REPO_ROOT

CHILD = textwrap.dedent(
    """
    import importlib, os, sys, time
    zmq = importlib.import_module(os.environ.get("ZMQFAST_IMPL", "zmqfast"))
    ctx = zmq.Context()
    s = ctx.socket(zmq.{socket_type})
    s.linger = 0
    s.bind("tcp://127.0.0.1:*")
    print("ready", flush=True)
    t0 = time.monotonic()
    try:
        {call}
    except KeyboardInterrupt:
        print("interrupted after %.3f" % (time.monotonic() - t0), flush=True)
    else:
        print("returned", flush=True)
    s.close()
    ctx.term()
    """
)

CALLS = {
    "recv": ("PULL", "s.recv()"),
    "recv_multipart": ("PULL", "s.recv_multipart()"),
    "send": ("PUSH", "s.send(b'mute')"),
    "poll": ("PULL", "s.poll()"),
    "poller": ("PULL", "p = zmq.Poller(); p.register(s, zmq.POLLIN); p.poll()"),
}


@pytest.mark.parametrize("call", CALLS, ids=CALLS)
def test_sigint_interrupts_a_blocking_call_with_keyboardinterrupt(subprocess_env, call):
    socket_type, code = CALLS[call]
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(socket_type=socket_type, call=code)],
        cwd=REPO_ROOT,
        env=subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.2)  # let it block
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=3)
        assert time.monotonic() - t0 < 3
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert out.startswith("interrupted"), (out, err)
    assert proc.returncode == 0, err


def _gil_free(block):
    counter = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            counter[0] += 1

    t = threading.Thread(target=count)
    t.start()
    try:
        time.sleep(0.05)
        before = counter[0]
        t0 = time.monotonic()
        block()
        elapsed = time.monotonic() - t0
        during = counter[0] - before
    finally:
        stop.set()
        t.join()
    return elapsed, during


@pytest.fixture
def baseline_rate():
    """Counter increments per second with the main thread idle in time.sleep (GIL free)."""
    counter = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            counter[0] += 1

    t = threading.Thread(target=count)
    t.start()
    time.sleep(0.2)
    stop.set()
    t.join()
    return counter[0] / 0.2


@pytest.mark.parametrize("how", ["recv", "poll", "poller"])
def test_blocking_call_releases_the_gil(zmq, ctx, endpoint, baseline_rate, how):
    s = ctx.socket(zmq.PULL)
    s.linger = 0
    s.bind(endpoint("inproc"))
    s.rcvtimeo = 500

    def block():
        if how == "recv":
            with pytest.raises(zmq.Again):
                s.recv()
        elif how == "poll":
            assert s.poll(500) == 0
        else:
            p = zmq.Poller()
            p.register(s, zmq.POLLIN)
            assert p.poll(500) == []

    elapsed, during = _gil_free(block)
    assert 0.45 <= elapsed < 2
    # holding the GIL for 0.5 s would allow at most a few switch intervals' worth of counting
    assert during > 0.2 * baseline_rate * elapsed, (during, baseline_rate)
