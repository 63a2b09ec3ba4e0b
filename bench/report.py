"""The header, the table (printed case by case as results come in) and the JSON file."""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import sys
from dataclasses import dataclass, field

from . import cases
from .runner import FAILED, OK, UNSUPPORTED, Outcome

COLUMNS = ("case", "module", "median", "spread (min–max)", "MB/s", "ratio")
WIDTHS = (26, 10, 14, 22, 8, 6)


@dataclass
class Row:
    """One module's results for one case (and metric): the repeats and their summary."""

    case: cases.Case
    metric: str | None
    label: str
    module: str
    values: list = field(default_factory=list)
    status: str = OK
    reason: str = ""
    count: int = 0  # messages or calls per repeat (after calibration)
    ratio: float | None = None
    ratio_note: str = ""

    @property
    def name(self) -> str:
        return self.case.name + (f" {self.metric}" if self.metric else "")

    @property
    def ok(self) -> bool:
        return self.status == OK and bool(self.values)

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.ok else None

    def spread(self) -> dict:
        """min, max and the quartiles of the repeats."""
        if not self.ok:
            return {}
        v = sorted(self.values)
        q1, _, q3 = statistics.quantiles(v, n=4, method="inclusive") if len(v) > 1 else (v[0],) * 3
        return {"min": v[0], "max": v[-1], "q1": q1, "q3": q3}

    @property
    def seconds(self) -> float | None:
        """How long the median repeat took."""
        return self.case.seconds(self.median, self.count) if self.ok and self.count else None

    @property
    def mb_per_s(self) -> float | None:
        if not self.ok or not self.case.bytes_per_msg:
            return None
        return self.median * self.case.bytes_per_msg / 1e6


def make_rows(case: cases.Case, outcomes: dict[str, list[Outcome]], counts: dict[str, int],
              modules: dict[str, str], primary: str, done: dict) -> list[Row]:
    """Rows for one case, with ratios against the primary's row of the same metric.

    ``done`` maps (case name, metric, label) to earlier rows; a module without this case
    (``Unsupported``) is compared through its row of ``case.compare_with`` if there is one.
    """
    rows = []
    for metric in case.metrics or (None,):
        for label, outs in outcomes.items():
            row = Row(case, metric, label, modules[label], count=counts.get(label, 0))
            bad = [o for o in outs if o.status != OK]
            if bad:
                row.status, row.reason = bad[0].status, bad[0].reason
            else:
                row.values = [o.value[metric] if metric else o.value for o in outs]
            rows.append(row)
            done[(case.name, metric, label)] = row
    for row in rows:
        base = done.get((case.name, row.metric, primary))
        if row.label == primary or base is None or not base.ok:
            continue
        other = row
        if not row.ok and row.status == UNSUPPORTED and case.compare_with:
            other = done.get((case.compare_with, row.metric, row.label))
            row.ratio_note = f"vs its {case.compare_with}"
        if other is not None and other.ok:
            a, b = base.median, other.median
            row.ratio = a / b if case.higher_is_better else b / a
    return rows


# --------------------------------------------------------------------------- text


def machine_info() -> dict:
    """Platform, CPU, Python and load: enough to tell two result sets apart."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "cpu_usable": usable,
        "load": load,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }


def header(machine: dict, workers, primary: str, repeats: int, calibrate: bool) -> str:
    lines = [
        f"bench: {primary} against {', '.join(w.label for w in workers if w.label != primary) or 'nothing'}"
        f"  ({machine['date']})",
        f"machine:  {machine['platform']}, {machine['cpu']}, {machine['cpu_count']} CPUs "
        f"({machine['cpu_usable']} usable), load {machine['load']}",
        f"python:   {machine['python']}",
    ]
    for i, w in enumerate(workers):
        head = "modules:  " if i == 0 else " " * 10
        if w.info:
            lib = f", libzmq {w.info['libzmq']}" if w.info.get("libzmq") else ""
            lines.append(f"{head}{w.label} {w.info['version']}{lib}  ({w.info['file']})")
        else:
            lines.append(f"{head}{w.label}: FAILED TO IMPORT, skipped: {w.import_error}")
    lines += [
        f"settings: SNDHWM=RCVHWM={cases.HWM} (PUB/SUB {cases.PUBSUB_HWM}, per-call {cases.PERCALL_HWM}), "
        f"LINGER={cases.LINGER_MS} ms, RCVTIMEO=SNDTIMEO={cases.TIMEOUT_MS // 1000} s, 1 I/O thread, "
        f"no socket buffer options",
        f"method:   {repeats} repeats per module, alternating A B A B; median and min–max of the repeats;"
        f" MB = 10^6 bytes",
        "counts:   " + (f"one untimed run per case and module scales the module's count so a repeat lasts"
                        f" ~{cases.TARGET_S} s (x{cases.MAX_SCALE} at most; counts in --json);"
                        f" ~ marks a repeat under {cases.SHORT_S * 1000:.0f} ms"
                        if calibrate else "fixed per case, the same for every module (--no-calibrate)"),
        f"ratio:    {primary}/other for throughput (msg/s), other/{primary} for latency (µs) and "
        f"per-call cost (ns): >1 always means {primary} is better",
    ]
    return "\n".join(lines)


def _fmt(v: float, unit: str) -> str:
    if unit == "msg/s":
        for suffix, scale in (("M", 1e6), ("k", 1e3)):
            if v >= scale:
                return f"{v / scale:.3g}{suffix}"
        return f"{v:.3g}"
    if unit == "µs":
        return f"{v:.1f}" if v < 1000 else f"{v:.0f}"
    return f"{v:.0f}"


def _line(cells) -> str:
    return "  ".join(str(c).ljust(w) for c, w in zip(cells, WIDTHS)).rstrip()


def table_header() -> str:
    return _line(COLUMNS) + "\n" + _line("-" * w for w in WIDTHS)


def format_rows(rows: list[Row]) -> str:
    """The table lines of one case: the case name on its first row only."""
    lines, last = [], None
    for row in rows:
        name = row.name if row.name != last else ""
        last = row.name
        unit = row.case.unit
        if row.ok:
            s = row.spread()
            mb = "" if row.mb_per_s is None else f"{row.mb_per_s:.{1 if row.mb_per_s < 100 else 0}f}"
            ratio = f"{row.ratio:.2f}" if row.ratio is not None else ""
            short = "~" if row.seconds is not None and row.seconds < cases.SHORT_S else ""
            lines.append(_line([name, row.label, f"{_fmt(row.median, unit)} {unit}{short}",
                                f"{_fmt(s['min'], unit)}–{_fmt(s['max'], unit)}", mb, ratio]))
        else:
            text = f"{'failed' if row.status == FAILED else 'n/a'}: {row.reason}"
            if row.ratio is None:
                lines.append(_line([name, row.label, text]))
            else:  # compared through another case: say which, keep the ratio in its column
                span = sum(WIDTHS[2:5]) + 4
                text = f"{text}; ratio {row.ratio_note}"
                lines.append("  ".join([name.ljust(WIDTHS[0]), row.label.ljust(WIDTHS[1]),
                                        text.ljust(span), f"{row.ratio:.2f}"]))
    return "\n".join(lines)


# --------------------------------------------------------------------------- json


def results_doc(machine: dict, workers, primary: str, args: dict, rows: list[Row]) -> dict:
    """All results: per module and case, the repeats, median, spread and ratio."""
    return {
        "machine": machine,
        "primary": primary,
        "args": args,
        "modules": {w.label: {"module": w.modname, **w.info, "import_error": w.import_error or None}
                    for w in workers},
        "settings": {"hwm": cases.HWM, "pubsub_hwm": cases.PUBSUB_HWM, "percall_hwm": cases.PERCALL_HWM, "linger_ms": cases.LINGER_MS,
                     "timeout_ms": cases.TIMEOUT_MS, "io_threads": 1},
        "results": [{
            "module": row.module,
            "label": row.label,
            "case": row.case.name,
            "metric": row.metric,
            "unit": row.case.unit,
            "higher_is_better": row.case.higher_is_better,
            "base_params": row.case.params,
            "status": row.status,
            "reason": row.reason or None,
            "repeats": row.values,
            "median": row.median,
            "count": row.count or None,
            "seconds_per_repeat": row.seconds,
            "spread": row.spread(),
            "mb_per_s": row.mb_per_s,
            "ratio": row.ratio,
            "ratio_note": row.ratio_note or None,
        } for row in rows],
    }


def write_json(path: str, doc: dict) -> None:
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def progress(index: int, total: int, name: str) -> None:
    """Which case runs now, on stderr: stdout keeps the table alone, for files and pipes."""
    print(f"[{index}/{total}] {name}", file=sys.stderr, flush=True)


def out(text: str = "") -> None:
    """Print and flush, so a long run shows each case as it finishes."""
    print(text, flush=True)
