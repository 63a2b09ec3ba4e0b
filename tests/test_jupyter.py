"""Jupyter on the implementation under test: real ipykernel kernels driven by jupyter_client
(start, execute, iopub output, stdin, completion, interrupt, the debugger, restart, shutdown, the
tornado managers' ZMQStreams, ipc transport, CurveZMQ-encrypted channels) and a notebook run by
nbclient.

tests/jupyter_driver.py does the work in a child process, the kernels it starts and that process
alike importing the implementation as ``zmq`` (zmqfast.utils.as_zmq for zmqfast), and prints one
result per case. The shutdown case also runs the driver on pyzmq, to compare how long a graceful
kernel shutdown takes.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import IMPL_NAME, child_env, skip_unless_installed

skip_unless_installed("ipykernel", "jupyter_client", "nbclient", "nbformat")

DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jupyter_driver.py")
CASES = ["start", "execute_result", "kernel_info", "stdout_and_stderr", "display_data", "error",
         "stdin_input", "complete_and_inspect", "interrupt", "debug_initialize", "restart",
         "shutdown", "iopub_as_zmqstream", "ipc_transport", "curve_encrypted_channels",
         "nbclient_notebook"]

# the whole driver run: a few kernel starts, about 15 s on an idle 2-core machine
pytestmark = pytest.mark.timeout(240)


def _drive(impl, tmp_path_factory):
    env = child_env()
    # kernels write their connection files and runtime state here, not in the user's home
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path_factory.mktemp("jupyter-runtime-" + impl))
    env["IPYTHONDIR"] = str(tmp_path_factory.mktemp("ipython-" + impl))
    env["JUPYTER_DATA_DIR"] = str(tmp_path_factory.mktemp("jupyter-data-" + impl))
    env.pop("JUPYTER_PATH", None)
    p = subprocess.run([sys.executable, DRIVER, impl], env=env, capture_output=True, text=True,
                       timeout=200)
    results = {}
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            d = json.loads(line)
            results[d["case"]] = d
    return results, p.stderr


@pytest.fixture(scope="module")
def impl_run(tmp_path_factory):
    """{case: result} of the driver on the implementation under test, and its stderr."""
    return _drive(IMPL_NAME, tmp_path_factory)


@pytest.fixture(scope="module")
def pyzmq_run(impl_run, tmp_path_factory):
    if IMPL_NAME == "zmq":
        return impl_run
    return _drive("zmq", tmp_path_factory)


def _case(run, name):
    results, stderr = run
    assert name in results, f"the driver reported no result for {name}:\n{stderr[-3000:]}"
    r = results[name]
    assert r["ok"], f"{name}: {r['error']}\n{r.get('trace', '')}"
    return r


@pytest.mark.parametrize("name", [c for c in CASES if c != "shutdown"])
def test_jupyter_case_passes(impl_run, name):
    _case(impl_run, name)


def test_kernel_shuts_down_gracefully_and_as_quickly_as_on_pyzmq(impl_run, pyzmq_run):
    ours = _case(impl_run, "shutdown")
    ref = _case(pyzmq_run, "shutdown")
    # the kernel answered the shutdown request and exited by itself: no SIGTERM or SIGKILL
    assert ours["shutdown_status"] == "ShutdownRequest", ours
    assert ours["returncode"] == 0, ours
    assert ours["shutdown_s"] <= 2 * ref["shutdown_s"] + 0.5, (ours, ref)
