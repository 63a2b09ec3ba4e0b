"""python -m bench: progress on stderr, the --json file, and the --plot chart drawn from it."""

import json
import os
import struct
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

pytestmark = pytest.mark.zmqfast_only  # the bench's primary module is zmqfast


def run_bench(args, env, timeout=60):
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def png_size(path):
    """(width, height) from the PNG signature and IHDR chunk; fails on anything else."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", head[:8]
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def test_progress_goes_to_stderr_and_json_and_table_stay_clean(tmp_path, subprocess_env):
    out = tmp_path / "r.json"
    p = run_bench(["--cases", "percall/poll0", "--cases", "percall/send", "--repeats", "1",
                   "--no-calibrate", "--json", str(out)], subprocess_env)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stderr.splitlines()
    assert "[1/2] percall/send" in lines and "[2/2] percall/poll0" in lines, p.stderr
    assert "[1/2]" not in p.stdout
    doc = json.loads(out.read_text())
    assert {r["case"] for r in doc["results"]} == {"percall/send", "percall/poll0"}


def tiny_result():
    """What --json saves, cut to the fields the chart reads, with one module compared."""
    results = []
    for case, metric, ratio in [("push_pull/inproc/64B", None, 8.0), ("push_pull/tcp/64B", None, 3.5),
                                ("req_rep/tcp/16B", "p50", 1.4), ("req_rep/tcp/16B", "p99", 0.8),
                                ("percall/send", None, 7.8)]:
        results.append({"label": "zmqfast", "case": case, "metric": metric, "ratio": None})
        results.append({"label": "zmq", "case": case, "metric": metric, "ratio": ratio})
    return {"primary": "zmqfast", "machine": {"date": "2026-12-06T12:00:00", "cpu": "test CPU",
                                              "cpu_count": 2, "python": "CPython"},
            "results": results}


def test_plot_from_a_saved_result_writes_a_png_without_running(tmp_path, subprocess_env):
    src = tmp_path / "tiny.json"
    src.write_text(json.dumps(tiny_result()))
    png = tmp_path / "chart.png"
    p = run_bench(["--plot", str(png), "--from", str(src)], subprocess_env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "bench: zmqfast against" not in p.stdout  # drawn, not run
    width, height = png_size(png)
    assert width > 300 and height > 150
    assert os.path.getsize(png) < 150_000


def test_chart_rows_are_cases_and_bars_are_transports(monkeypatch):
    monkeypatch.syspath_prepend(REPO_ROOT)
    from bench import plot

    table = plot.ratios(tiny_result())
    assert list(table) == ["zmq"]
    assert table["zmq"] == {
        "push_pull 64B": {"inproc": 8.0, "tcp": 3.5},
        "req_rep 16B p50": {"tcp": 1.4},
        "req_rep 16B p99": {"tcp": 0.8},
        "percall send": {plot.PER_CALL: 7.8},
    }


def test_plot_of_a_run_without_comparison_is_refused(tmp_path, subprocess_env):
    doc = tiny_result()
    doc["results"] = [r for r in doc["results"] if r["label"] == "zmqfast"]
    src = tmp_path / "alone.json"
    src.write_text(json.dumps(doc))
    p = run_bench(["--plot", str(tmp_path / "x.png"), "--from", str(src)], subprocess_env)
    assert p.returncode == 2
    assert "no ratios to draw" in p.stderr
    assert not (tmp_path / "x.png").exists()
