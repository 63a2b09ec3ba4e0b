"""examples/config_centre: a server and three clients in separate processes converge on one
configuration, through lost updates and a client killed and restarted, with and without CURVE."""

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time

import pytest

from conftest import REPO_ROOT

HERE = os.path.join(REPO_ROOT, "examples", "config_centre")
pytestmark = pytest.mark.zmqfast_only  # the example imports zmqfast


class Program:
    """A running example whose output lines are read as they come."""

    def __init__(self, env, script, *args):
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, script), *map(str, args)],
                                     cwd=HERE, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._new: queue.Queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self._new.put(line.rstrip("\n"))
        self._new.put(None)

    def wait_for(self, pattern, timeout=15):
        """The first line (already seen or to come) matching pattern."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if re.search(pattern, line):
                    return line
            seen = len(self.lines)
            try:
                line = self._new.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines))
            if line is None:
                raise AssertionError(f"exited ({self.proc.wait()}) without {pattern!r}:\n"
                                     + "\n".join(self.lines))
            self.lines.append(line)

    def finish(self, timeout=15):
        rc = self.proc.wait(timeout=timeout)
        self._reader.join(timeout)
        while not self._new.empty():
            line = self._new.get()
            if line is not None:
                self.lines.append(line)
        return rc

    def final(self):
        line = self.wait_for(r"final config at seq \d+: ")
        seq, text = re.search(r"final config at seq (\d+): (.*)", line).groups()
        return int(seq), json.loads(text)


@pytest.fixture
def programs(subprocess_env):
    started = []

    def start(script, *args):
        started.append(Program(subprocess_env, script, *args))
        return started[-1]

    yield start
    for p in started:
        if p.proc.poll() is None:
            p.proc.kill()
        p.proc.wait()


@pytest.mark.parametrize("curve", [False, True], ids=["plain", "curve"])
def test_clients_converge_through_lost_updates_and_a_client_restart(programs, tmp_path, curve):
    base = f"ipc://{tmp_path}/cc"
    security = ["--curve", tmp_path / "keys"] if curve else []
    server = programs("server.py", "--base", base, "--heartbeat", 0.3, "--until", "done",
                      "--drop-every", 7, *security)
    assert ("with CURVE" in server.wait_for("server: serving on")) == curve

    def client(name, *sets):
        args = ["--base", base, "--name", name, "--until", "done", "--interval", 0.03, *security]
        for s in sets:
            args += ["--set", s]
        return programs("client.py", *args)

    a = client("A", *[f"a.{i}=A{i}" for i in range(10)], "shared=from A")
    c = client("C", *[f"c.{i}=C{i}" for i in range(10)])
    b = client("B", *[f"b.{i}=B{i}" for i in range(40)])
    b.wait_for(r"B: snapshot at seq")
    time.sleep(0.5)  # B pushes some of its 40 changes, then dies mid-stream
    b.proc.kill()
    assert b.finish() == -9

    for p, name in ((a, "A"), (c, "C")):
        p.wait_for(rf"{name}: all \d+ of my changes applied")
    b2 = client("B again", "b.restarted=yes", "shared=from B again")
    caught_up = b2.wait_for(r"B again: snapshot at seq")
    assert int(re.search(r"(\d+) keys", caught_up).group(1)) > 0  # what happened before it came
    b2.wait_for(r"B again: all 2 of my changes applied")

    d = client("D", "done=yes")
    results = {name: (p.finish(), p.final()) for name, p in
               (("A", a), ("C", c), ("B again", b2), ("D", d), ("server", server))}
    assert {name: rc for name, (rc, _) in results.items()} == dict.fromkeys(results, 0)
    finals = {name: final for name, (_, final) in results.items()}
    assert all(f == finals["server"] for f in finals.values()), finals
    seq, config = finals["server"]
    assert all(config[f"a.{i}"] == f"A{i}" for i in range(10))
    assert all(config[f"c.{i}"] == f"C{i}" for i in range(10))
    assert config["b.restarted"] == "yes" and config["done"] == "yes"
    b_keys = [k for k in config if re.fullmatch(r"b\.\d+", k)]
    assert b_keys, "none of the killed client's changes reached the server"
    assert len(b_keys) < 40, "B was meant to die before pushing all its changes"
    assert config["shared"] == "from B again"  # pushed last, after A's was applied

    # --drop-every 7 withheld changes: every client recovered from the holes by itself
    dropped = [line for line in server.lines if "not published" in line]
    assert dropped
    recovered = [line for p in (a, c, b2) for line in p.lines
                 if "fetching a snapshot" in line]
    assert recovered
