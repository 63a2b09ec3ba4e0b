"""Shadows share one engine object; a forked child gets a clear error from inherited contexts."""

import os
import subprocess
import sys
import textwrap

import pytest


def test_a_socket_shadow_sends_on_the_same_socket(zmq, ctx, fast):
    a = fast(ctx.socket(zmq.PAIR))
    a.bind("inproc://shadow")
    b = fast(ctx.socket(zmq.PAIR))
    b.connect("inproc://shadow")
    s = zmq.Socket.shadow(a.underlying)
    s.send(b"via shadow")
    assert b.recv() == b"via shadow"
    del s  # a shadow going away does not close the socket
    a.send(b"still open")
    assert b.recv() == b"still open"


def test_closing_the_socket_shows_through_its_shadow(zmq, ctx):
    a = ctx.socket(zmq.PAIR)
    s = zmq.Socket.shadow(a.underlying)
    a.close()
    assert s.closed
    with pytest.raises(zmq.ZMQError) as info:
        s.send(b"x")
    assert info.value.errno == zmq.ENOTSOCK


def test_a_context_shadow_makes_sockets_of_the_same_context(zmq, ctx, fast):
    c2 = zmq.Context.shadow(ctx.underlying)
    a = fast(c2.socket(zmq.PAIR))
    a.bind("inproc://ctx-shadow")
    b = fast(ctx.socket(zmq.PAIR))
    b.connect("inproc://ctx-shadow")  # inproc only joins sockets of one context
    a.send(b"same context")
    assert b.recv() == b"same context"


@pytest.mark.zmqfast_only
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_gets_a_clear_error_and_can_start_afresh(subprocess_env):
    code = textwrap.dedent("""
        import os, zmqfast as zmq
        c = zmq.Context()
        s = c.socket(zmq.PUSH)
        s.bind("tcp://127.0.0.1:*")
        pid = os.fork()
        if pid == 0:
            try:
                s.send(b"x")
                print("no error")
            except zmq.ContextTerminated as e:
                print("error mentions fork:", "fork" in str(e))
            s.close()
            c.term()  # harmless in the child
            c2 = zmq.Context.instance()
            a = c2.socket(zmq.PAIR); a.bind("inproc://k")
            b = c2.socket(zmq.PAIR); b.connect("inproc://k")
            a.send(b"fresh"); print("child:", b.recv().decode())
            a.close(); b.close(); c2.term()
            os._exit(0)
        os.waitpid(pid, 0)
        s.close(); c.term(); print("parent ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], env=subprocess_env, capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "error mentions fork: True" in out.stdout
    assert "child: fresh" in out.stdout
    assert "parent ok" in out.stdout
