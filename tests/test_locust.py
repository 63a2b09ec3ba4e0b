"""Locust's distributed mode on the implementation under test: a master and two workers, headless,
talking over Locust's ZeroMQ RPC (zmq.green: ROUTER on the master, DEALERs on the workers, under
gevent), put a few seconds of load on a small HTTP server of the test's own on 127.0.0.1.

With zmqfast, the three Locust processes run through ``python -m zmqfast.utils.as_zmq``, so the
Locust code and the locustfile import zmqfast as ``zmq``; the locustfile checks that they did.
"""

import csv
import http.server
import socket
import subprocess
import sys
import textwrap
import threading

import pytest

from conftest import IMPL_NAME, skip_unless_installed

skip_unless_installed("locust")

pytestmark = pytest.mark.timeout(120)

LOCUSTFILE = """
import os

import locust.rpc.zmqrpc
import zmq
from locust import HttpUser, constant, events, task
from locust.runners import WorkerRunner

# the RPC between master and workers runs on the implementation under test
assert zmq.__name__ == os.environ["EXPECT_ZMQ"], zmq.__name__
assert locust.rpc.zmqrpc.zmq.__name__ == os.environ["EXPECT_ZMQ"] + ".green"

made = 0


class Visitor(HttpUser):
    wait_time = constant(0.05)

    @task
    def index(self):
        global made
        self.client.get("/")
        made += 1


@events.quitting.add_listener
def _report(environment, **kwargs):
    # each worker leaves the number of requests its users made
    if isinstance(environment.runner, WorkerRunner):
        with open("worker-%d.count" % os.getpid(), "w") as f:
            f.write(str(made))
"""


class _Handler(http.server.BaseHTTPRequestHandler):
    hits = 0
    lock = threading.Lock()

    def do_GET(self):  # noqa: N802 - the name http.server calls
        with _Handler.lock:
            _Handler.hits += 1
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    _Handler.hits = 0
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _locust(*args):
    if IMPL_NAME == "zmqfast":
        return [sys.executable, "-m", "zmqfast.utils.as_zmq", "locust", *args]
    return [sys.executable, "-m", "locust", *args]


def test_master_and_two_workers_share_a_load_test(http_server, tmp_path, subprocess_env):
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(textwrap.dedent(LOCUSTFILE))
    env = dict(subprocess_env, EXPECT_ZMQ=IMPL_NAME, PYTHONUNBUFFERED="1")
    port = _free_port()
    common = ["-f", str(locustfile)]
    master = subprocess.Popen(
        _locust(*common, "--master", "--headless", "--master-bind-host", "127.0.0.1",
                "--master-bind-port", str(port), "--expect-workers", "2",
                "--expect-workers-max-wait", "30", "-u", "4", "-r", "4", "-t", "3s",
                "-H", http_server, "--csv", str(tmp_path / "run"), "--only-summary",
                "--loglevel", "INFO"),
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    workers = [subprocess.Popen(
        _locust(*common, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port),
                "--loglevel", "INFO"),
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)]
    procs = [master, *workers]
    try:
        outs = [p.communicate(timeout=90)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    log = "\n".join(f"--- {name} (exit {p.returncode}) ---\n{out[-4000:]}"
                    for name, p, out in zip(("master", "worker 1", "worker 2"), procs, outs))
    assert [p.returncode for p in procs] == [0, 0, 0], log
    master_out = outs[0]
    assert "2 workers connected." in master_out, log
    assert "Sending spawn jobs of 4 users at 4.00 spawn rate to 2 ready workers" in master_out, log
    for out in outs[1:]:
        assert "Got quit message from master" in out, log

    with open(tmp_path / "run_stats.csv") as f:
        rows = {row["Name"]: row for row in csv.DictReader(f)}
    total = rows["Aggregated"]
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    assert requests >= 20 and failures == 0, (total, log)
    assert _Handler.hits >= requests  # what the master counted reached the server

    # both workers ran users, and the master heard of what they did
    made = [int(p.read_text()) for p in tmp_path.glob("worker-*.count")]
    assert len(made) == 2 and min(made) > 0, (made, log)
    assert sum(made) >= requests, (made, requests)
