"""zmqfast.utils.as_zmq: ``import zmq`` (and every ``zmq.X``) giving zmqfast's modules, for code
written for pyzmq, in this process (install()) or in a program run with
``python -m zmqfast.utils.as_zmq MODULE``. Each check runs in a child interpreter: the alias
changes what ``zmq`` means for the whole process."""

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.zmqfast_only


def _python(env, *args):
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=60)


def _python_code(code, env):
    return _python(env, "-c", textwrap.dedent(code))


def test_install_makes_zmq_and_its_submodules_zmqfasts(subprocess_env):
    p = _python_code("""
        from zmqfast.utils import as_zmq
        as_zmq.install()
        import zmq, zmq.sugar.socket, zmq.eventloop.zmqstream
        from zmq.asyncio import Context
        import zmqfast, zmqfast.asyncio, zmqfast.eventloop.zmqstream
        assert zmq is zmqfast and zmq.Socket is zmqfast.Socket
        assert Context is zmqfast.asyncio.Context
        assert zmq.eventloop.zmqstream is zmqfast.eventloop.zmqstream
        # each module keeps its own name and spec, so reload and pickling still work
        assert zmq.__name__ == "zmqfast" and zmq.__spec__.name == "zmqfast"
        assert zmq.asyncio.__spec__.name == "zmqfast.asyncio"
        import importlib, pickle
        importlib.reload(zmq.utils.jsonapi)
        assert pickle.loads(pickle.dumps(zmq.ZMQError(11))).errno == 11
        assert as_zmq.installed()
        try:
            import zmq.no_such_module
        except ModuleNotFoundError as e:
            assert e.name == "zmq.no_such_module", e.name
        else:
            raise AssertionError("imported a module zmqfast does not have")
        print("ok")
        """, subprocess_env)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "ok\n"


def test_install_after_pyzmq_was_imported_is_refused(subprocess_env):
    pytest.importorskip("zmq")
    p = _python_code("""
        import zmq
        from zmqfast.utils import as_zmq
        try:
            as_zmq.install()
        except RuntimeError as e:
            print("refused:", e)
        assert not as_zmq.installed()
        """, subprocess_env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("refused: pyzmq is imported already")


def test_running_a_module_under_the_alias(subprocess_env, tmp_path):
    (tmp_path / "uses_pyzmq.py").write_text(textwrap.dedent("""
        import sys
        import zmq

        with zmq.Context() as ctx, ctx.socket(zmq.PAIR) as a, ctx.socket(zmq.PAIR) as b:
            a.bind("inproc://x")
            b.connect("inproc://x")
            a.send(b"over " + zmq.__name__.encode())
            print(b.recv().decode(), __name__, sys.argv[1:])
        """))
    env = dict(subprocess_env)
    env["PYTHONPATH"] = str(tmp_path) + ":" + env.get("PYTHONPATH", "")
    p = _python(env, "-m", "zmqfast.utils.as_zmq", "uses_pyzmq", "--flag", "arg")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "over zmqfast __main__ ['--flag', 'arg']\n"
