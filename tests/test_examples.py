"""Every program in examples/ runs, says what it did, and ends by itself.

Each one is started as its own interpreter, as a user would run it, on ipc endpoints in a
private directory so parallel runs never share an address.
"""

import os
import re
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

EXAMPLES = os.path.join(REPO_ROOT, "examples")
pytestmark = pytest.mark.zmqfast_only  # the examples import zmqfast


@pytest.fixture
def example(subprocess_env):
    """example(name, *args) -> a started process; .finish() -> (returncode, output)."""
    procs = []

    def start(name, *args):
        p = subprocess.Popen([sys.executable, os.path.join(EXAMPLES, name), *map(str, args)],
                             cwd=EXAMPLES, env=subprocess_env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        procs.append(p)
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.communicate()


def finish(p, timeout=20):
    out, _ = p.communicate(timeout=timeout)
    return p.returncode, out


def test_hello_client_gets_world_for_every_request(example, tmp_path):
    ep = f"ipc://{tmp_path}/hello"
    client = example("hello_client.py", "--endpoint", ep, "-n", 3)  # before the server: fine
    server = example("hello_server.py", "--endpoint", ep, "-n", 3)
    rc, out = finish(client)
    assert rc == 0, out
    assert [f"client: request {i} -> 'World'" for i in (1, 2, 3)] == out.splitlines()
    rc, out = finish(server)
    assert rc == 0, out
    assert out.count("server: got 'Hello'") == 3 and out.endswith("server: done\n")


def test_weather_client_averages_only_its_zip_code(example, tmp_path):
    ep = f"ipc://{tmp_path}/weather"
    client = example("weather_client.py", "--endpoint", ep, "--zip", "10007", "-n", 15)
    server = example("weather_server.py", "--endpoint", ep, "--seconds", 2)
    rc, out = finish(client)
    assert rc == 0, out
    m = re.search(r"average temperature for zip 10007 was (-?[\d.]+) C over 15 updates", out)
    assert m and -20 <= float(m.group(1)) < 40, out
    rc, out = finish(server)
    assert rc == 0, out
    assert re.search(r"weather: sent \d+ updates", out), out


def test_pipeline_spreads_tasks_over_worker_processes_and_the_sink_gets_them_all(example, tmp_path):
    rc, out = finish(example("pipeline.py", "--workers", 3, "--tasks", 30, "--base", f"ipc://{tmp_path}/pl"),
                     timeout=30)
    assert rc == 0, out
    assert "ventilator: worker 3/3 connected" in out
    m = re.search(r"sink: 30 results in \d+ ms from 3 workers: (\d+), (\d+), (\d+)", out)
    assert m, out
    # every worker was connected before the first task went out: the split is even
    assert [int(n) for n in m.groups()] == [10, 10, 10]
    assert sorted(int(n) for n in re.findall(r"worker \d+: did (\d+) tasks", out)) == [10, 10, 10]
    assert out.endswith("pipeline: all processes finished\n")


def test_pair_threads_signal_in_order(example):
    rc, out = finish(example("pair_threads.py", "--steps", 4))
    assert rc == 0, out
    lines = out.splitlines()
    got = [line for line in lines if " got " in line]
    assert got == [f"step {i}: got 'ready from {i - 1}' from step {i - 1}" for i in (2, 3, 4)]
    assert lines[-1] == "main: 'ready from 4'; all 4 steps done"


def test_devices_queue_forwarder_and_streamer_move_messages_and_stop_at_term(example):
    rc, out = finish(example("devices.py", "all"))
    assert rc == 0, out
    assert len(re.findall(r"queue: job \d of client [AB] done by worker[12]", out)) == 6
    assert "queue: 6 requests answered by 2 workers" in out
    assert "forwarder: 'news' subscriber got ['news: a device forwards', 'news: end']" in out
    assert "forwarder: catch-all subscriber got 3 messages" in out
    assert ("streamer: consumer got ['producer 1, item 0', 'producer 1, item 1', "
            "'producer 2, item 0', 'producer 2, item 1']") in out
    assert out.endswith("devices: done\n")


def test_load_balanced_client_alternates_between_two_servers(example, tmp_path):
    eps = f"ipc://{tmp_path}/s1,ipc://{tmp_path}/s2"
    rc, out = finish(example("load_balance.py", "--endpoints", eps, "-n", 6))
    assert rc == 0, out
    served = re.findall(r"client: request (\d): served by server (\d)", out)
    assert [s for _, s in served] == ["1", "2"] * 3, out
    assert "client: 6 requests, per server [3, 3]" in out


def test_lazy_pirate_client_retries_a_lost_request_and_gives_up_on_a_dead_server(example, tmp_path):
    ep = f"ipc://{tmp_path}/lp"
    server = example("lazy_pirate_server.py", "--endpoint", ep, "--ignore-every", 4, "--crash-after", 8)
    client = example("lazy_pirate_client.py", "--endpoint", ep, "-n", 10, "--timeout-ms", 800,
                     "--retries", 3)
    rc, out = finish(client, timeout=30)
    assert rc == 1, out  # it gave up: the server is gone
    lines = out.splitlines()
    # the first ignored request was sent again on a fresh socket, and answered
    first_retry = next(i for i, line in enumerate(lines) if line.startswith("client: no reply"))
    seq = re.search(r"request (\d+)", lines[first_retry]).group(1)
    assert f"client: request {seq} answered" in lines[first_retry + 1:]
    last = lines[-2].split()[5]
    assert lines[-4:-1] == [f"client: no reply to request {last} (attempt 1/3), reconnecting",
                            f"client: no reply to request {last} (attempt 2/3), reconnecting",
                            f"client: no reply to request {last} (attempt 3/3)"]
    assert lines[-1] == "client: the server seems to be offline, abandoning"
    rc, out = finish(server)
    assert rc == 0 and "server: crashing after 8 requests (simulated)" in out, out


def test_every_example_program_is_run_by_a_test():
    with open(__file__) as f:
        here = f.read()
    with open(os.path.join(os.path.dirname(__file__), "test_config_centre.py")) as f:
        centre = f.read()
    programs = [n for n in os.listdir(EXAMPLES) if n.endswith(".py")]
    assert programs and [n for n in programs if f'"{n}"' not in here] == []
    started = [n for n in os.listdir(os.path.join(EXAMPLES, "config_centre"))
               if n.endswith(".py") and n != "common.py"]
    assert sorted(started) == ["client.py", "server.py"]
    assert all(f'"{n}"' in centre for n in started)
