"""Drives real ipykernel kernels with jupyter_client and nbclient, on one ZeroMQ implementation,
and prints one JSON line per case: {"case": name, "ok": bool, "error": text, ...measurements}.

    python tests/jupyter_driver.py zmqfast|zmq

With ``zmqfast``, this process and every kernel it starts import zmqfast as ``zmq``
(zmqfast.utils.as_zmq): the client side here, installed before jupyter_client is imported, and
the kernels through the kernelspec's command. With ``zmq`` everything is pyzmq. Run by
tests/test_jupyter.py, in a process of its own so that the two never meet.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import tempfile
import time
import traceback

IMPL = sys.argv[1] if len(sys.argv) > 1 else "zmqfast"
if IMPL == "zmqfast":
    from zmqfast.utils import as_zmq

    as_zmq.install()

import zmq  # noqa: E402  (after the alias)
from jupyter_client.manager import AsyncKernelManager, KernelManager  # noqa: E402

TIMEOUT = 30
KERNEL_NAME = "zf-test-" + IMPL
RESULTS: list[dict] = []


def _kernelspec_dir() -> str:
    """A JUPYTER_PATH holding one kernelspec that starts ipykernel on IMPL."""
    root = tempfile.mkdtemp(prefix="zf-jupyter-")
    spec_dir = os.path.join(root, "kernels", KERNEL_NAME)
    os.makedirs(spec_dir)
    argv = [sys.executable, "-m"]
    if IMPL == "zmqfast":
        argv += ["zmqfast.utils.as_zmq"]
    argv += ["ipykernel_launcher", "-f", "{connection_file}"]
    with open(os.path.join(spec_dir, "kernel.json"), "w") as f:
        # ipykernel 7 takes the CurveZMQ keys jupyter_client provisions; the spec says so
        json.dump({"argv": argv, "display_name": KERNEL_NAME, "language": "python",
                   "metadata": {"supported_encryption": ["curve"]}}, f)
    return root


def case(fn):
    """Run fn() as a case; what it returns (a dict) is added to the case's line."""
    t0 = time.monotonic()
    out = {"case": fn.__name__, "ok": False, "error": ""}
    try:
        out.update(fn() or {})
        out["ok"] = True
    except BaseException as e:  # noqa: BLE001 - every failure becomes the case's result
        out["error"] = "".join(traceback.format_exception_only(type(e), e)).strip()
        out["trace"] = traceback.format_exc()[-3000:]
    out["seconds"] = round(time.monotonic() - t0, 3)
    RESULTS.append(out)
    print(json.dumps(out), flush=True)
    return out


def run(kc, code, **kw):
    """Execute code; return (reply content, iopub messages of the execution)."""
    msgs = []
    reply = kc.execute_interactive(code, timeout=TIMEOUT, output_hook=msgs.append, **kw)
    return reply["content"], msgs


def outputs(msgs, msg_type):
    return [m["content"] for m in msgs if m["msg_type"] == msg_type]


def main() -> None:
    os.environ["JUPYTER_PATH"] = _kernelspec_dir()
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    state: dict = {}

    @case
    def start():
        km = KernelManager(kernel_name=KERNEL_NAME)
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=TIMEOUT)
        state.update(km=km, kc=kc)
        # the kernel is on the implementation under test, and so is this side
        content, msgs = run(kc, "import zmq; print(zmq.__name__, end='')")
        assert content["status"] == "ok", content
        kernel_zmq = "".join(c["text"] for c in outputs(msgs, "stream"))
        assert kernel_zmq == IMPL, kernel_zmq
        assert zmq.__name__ == IMPL, zmq.__name__
        return {"kernel_zmq": kernel_zmq}

    kc = state.get("kc")
    km = state.get("km")

    @case
    def execute_result():
        content, msgs = run(kc, "x = 6 * 7\nx")
        assert content["status"] == "ok", content
        (result,) = outputs(msgs, "execute_result")
        assert result["data"]["text/plain"] == "42", result
        states = [c["execution_state"] for c in outputs(msgs, "status")]
        assert states == ["busy", "idle"], states

    @case
    def kernel_info():
        reply = kc.kernel_info(reply=True, timeout=TIMEOUT)
        assert reply["content"]["status"] == "ok"
        assert reply["content"]["implementation"] == "ipython"

    @case
    def stdout_and_stderr():
        content, msgs = run(kc, "import sys\nprint('to out')\nprint('to err', file=sys.stderr)")
        assert content["status"] == "ok", content
        streams = {}
        for c in outputs(msgs, "stream"):
            streams[c["name"]] = streams.get(c["name"], "") + c["text"]
        assert streams == {"stdout": "to out\n", "stderr": "to err\n"}, streams

    @case
    def display_data():
        content, msgs = run(kc, "from IPython.display import HTML, display\n"
                                "display(HTML('<b>bold</b>'))")
        assert content["status"] == "ok", content
        (shown,) = outputs(msgs, "display_data")
        assert shown["data"]["text/html"] == "<b>bold</b>", shown

    @case
    def error():
        content, msgs = run(kc, "1 / 0")
        assert content["status"] == "error" and content["ename"] == "ZeroDivisionError", content
        (err,) = outputs(msgs, "error")
        assert err["ename"] == "ZeroDivisionError"

    @case
    def stdin_input():
        asked = []

        def answer(msg):
            asked.append(msg["content"]["prompt"])
            kc.input("alice")

        content, msgs = run(kc, "name = input('name? ')\nprint('hello', name)",
                            allow_stdin=True, stdin_hook=answer)
        assert content["status"] == "ok", content
        assert asked == ["name? "], asked
        text = "".join(c["text"] for c in outputs(msgs, "stream"))
        assert text.endswith("hello alice\n"), text

    @case
    def complete_and_inspect():
        reply = kc.complete("impor", reply=True, timeout=TIMEOUT)
        assert "import" in reply["content"]["matches"], reply["content"]
        reply = kc.inspect("len", reply=True, timeout=TIMEOUT)
        assert reply["content"]["found"], reply["content"]

    @case
    def interrupt():
        msg_id = kc.execute("import time; time.sleep(60)")
        # wait until the kernel is running the cell
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            m = kc.get_iopub_msg(timeout=TIMEOUT)
            if m["msg_type"] == "execute_input" and m["parent_header"].get("msg_id") == msg_id:
                break
        time.sleep(0.2)
        t0 = time.monotonic()
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=TIMEOUT)
        took = time.monotonic() - t0
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"]["status"] == "error", reply["content"]
        assert reply["content"]["ename"] == "KeyboardInterrupt", reply["content"]
        assert took < 10, took
        # the kernel goes on
        content, _ = run(kc, "x")
        assert content["status"] == "ok", content
        return {"interrupt_s": round(took, 3)}

    @case
    def debug_initialize():
        # ipykernel's debugger (debugpy over a STREAM socket) answers on the control channel
        msg = kc.session.msg("debug_request", {
            "type": "request", "seq": 1, "command": "initialize",
            "arguments": {"clientID": "zf-test", "adapterID": "python", "pathFormat": "path",
                          "linesStartAt1": True, "columnsStartAt1": True}})
        kc.control_channel.send(msg)
        reply = kc.control_channel.get_msg(timeout=TIMEOUT)
        assert reply["msg_type"] == "debug_reply", reply["msg_type"]
        content = reply["content"]
        assert content.get("success") is True and content.get("command") == "initialize", content
        assert content.get("body", {}).get("supportsConfigurationDoneRequest"), content

    @case
    def restart():
        old_pid = km.provisioner.pid
        t0 = time.monotonic()
        km.restart_kernel(now=False)
        took = time.monotonic() - t0
        kc.wait_for_ready(timeout=TIMEOUT)
        assert km.provisioner.pid != old_pid
        content, msgs = run(kc, "'x' in dir()")
        assert content["status"] == "ok", content
        (result,) = outputs(msgs, "execute_result")
        assert result["data"]["text/plain"] == "False", result  # a fresh namespace
        return {"restart_s": round(took, 3)}

    @case
    def shutdown():
        popen = km.provisioner.process
        kc.stop_channels()
        t0 = time.monotonic()
        km.shutdown_kernel(now=False)
        took = time.monotonic() - t0
        status = km._shutdown_status.name  # ShutdownRequest, or Sigterm/SigkillRequest
        returncode = popen.wait(TIMEOUT)
        assert not km.is_alive()
        return {"shutdown_s": round(took, 3), "shutdown_status": status,
                "returncode": returncode}

    @case
    def iopub_as_zmqstream():
        # jupyter_client's tornado managers (jupyter_server's) wrap the channels in ZMQStreams
        import asyncio

        from jupyter_client.ioloop import AsyncIOLoopKernelManager

        async def go():
            akm = AsyncIOLoopKernelManager(kernel_name=KERNEL_NAME)
            await akm.start_kernel()
            try:
                akc = akm.client()
                akc.start_channels()
                await akc.wait_for_ready(timeout=TIMEOUT)
                stream = akm.connect_iopub()
                got: queue.Queue = queue.Queue()
                stream.on_recv(got.put)
                # a new subscriber misses what is published before its subscription arrives
                # (on pyzmq too): nudge with kernel_info requests, as jupyter_server does, until
                # the stream hears the status messages they cause
                deadline = time.monotonic() + TIMEOUT
                while got.empty() and time.monotonic() < deadline:
                    await akc.kernel_info(reply=True, timeout=TIMEOUT)
                    await asyncio.sleep(0.05)
                assert not got.empty(), "the stream heard nothing"
                reply = await akc.execute_interactive("print('through a stream')",
                                                      timeout=TIMEOUT, output_hook=lambda m: 0)
                assert reply["content"]["status"] == "ok"
                # the stream's copy of the output (the client's own channel saw it too, so the
                # frames are read as they are: the session refuses a signature seen twice)
                seen = []
                deadline = time.monotonic() + TIMEOUT
                while not any(b"through a stream" in f for f in seen) and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                    while not got.empty():
                        seen.extend(bytes(f) for f in got.get())
                assert any(b"through a stream" in f for f in seen), seen
                stream.close()
                akc.stop_channels()
            finally:
                await akm.shutdown_kernel(now=False)

        asyncio.run(go())

    def one_kernel(**km_options):
        """Start a kernel with these KernelManager options, run a cell, shut it down."""
        km2 = KernelManager(kernel_name=KERNEL_NAME, **km_options)
        km2.start_kernel()
        try:
            kc2 = km2.client()
            kc2.start_channels()
            kc2.wait_for_ready(timeout=TIMEOUT)
            content, msgs = run(kc2, "print(sum(range(10)))")
            assert content["status"] == "ok", content
            assert "".join(c["text"] for c in outputs(msgs, "stream")) == "45\n", msgs
            kc2.stop_channels()
            return km2
        finally:
            km2.shutdown_kernel(now=False)

    @case
    def ipc_transport():
        one_kernel(transport="ipc", ip=os.path.join(tempfile.mkdtemp(prefix="zf-ipc-"), "k"))

    @case
    def curve_encrypted_channels():
        # every channel, heartbeat included, runs CurveZMQ with keys jupyter_client made
        km2 = one_kernel(transport_encryption="required")
        assert km2.curve_publickey and km2.curve_secretkey

    @case
    def nbclient_notebook():
        import nbformat
        from nbclient import NotebookClient

        nb = nbformat.v4.new_notebook()
        nb.cells = [
            nbformat.v4.new_code_cell("values = [i * i for i in range(5)]\nsum(values)"),
            nbformat.v4.new_code_cell("print('squares', values)"),
            nbformat.v4.new_code_cell("from IPython.display import Markdown\nMarkdown('*done*')"),
        ]
        NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=TIMEOUT,
                       kernel_manager_class=AsyncKernelManager).execute()
        first, second, third = (c.outputs for c in nb.cells)
        assert first[0]["data"]["text/plain"] == "30", first
        assert second[0]["text"] == "squares [0, 1, 4, 9, 16]\n", second
        assert third[0]["data"]["text/markdown"] == "*done*", third
        nbformat.validate(nb)


if __name__ == "__main__":
    main()
