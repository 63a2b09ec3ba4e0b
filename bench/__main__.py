"""Command line: ``python -m bench [--impl NAME] [--vs NAME ...] [--quick] ...``.

Runs every selected case on the primary module (--impl, default zmqfast) and on each
--vs module in the same run, alternating repeats, and prints a table as it goes; stderr
shows which case runs and how many remain ("[3/30] push_pull/inproc/1KiB"). --plot PNG
draws the ratios per case and transport (with matplotlib), from this run or, with --from,
from a file an earlier --json run saved.

Exit status: 0 when every case ran correctly (timings never fail a run); 1 when a case
failed (wrong message count or size, a crashed, hung or timed-out process, an unexpected
exception; a missing optional feature such as ENOTSUP is reported as "n/a" and does not
count); 2 when the primary module cannot be imported (other modules that fail to import are
reported and skipped).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from . import cases, plot, report
from .runner import FAILED, Worker, run_case


def parse_args(argv=None) -> argparse.Namespace:
    paras = __doc__.split("\n\n")
    p = argparse.ArgumentParser(prog="python -m bench", description=paras[1], epilog=paras[2],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--impl", default="zmqfast", metavar="NAME",
                   help="primary module (default: zmqfast)")
    p.add_argument("--vs", action="append", default=[], metavar="NAME",
                   help="module to compare with, e.g. zmq; repeatable")
    p.add_argument("--quick", action="store_true",
                   help="a subset that takes under 2 minutes for 2 modules")
    p.add_argument("--repeats", type=int, default=5, metavar="N",
                   help="repeats per case and module (default: 5)")
    p.add_argument("--cases", action="append", default=[], metavar="SUBSTRING",
                   help="only cases whose name contains SUBSTRING; repeatable (any matches)")
    p.add_argument("--json", metavar="PATH", help="write all results to PATH as JSON")
    p.add_argument("--timeout", type=float, metavar="S",
                   help="seconds allowed per repeat (default: 60, PUB/SUB 90)")
    p.add_argument("--no-calibrate", dest="calibrate", action="store_false",
                   help="use each case's base count for every module, without the untimed "
                        "calibration run")
    p.add_argument("--plot", metavar="PNG",
                   help="draw the ratios per case and transport into PNG (needs matplotlib: "
                        "the 'plot' extra)")
    p.add_argument("--from", dest="from_json", metavar="PATH",
                   help="with --plot: draw from a file saved by --json instead of running")
    p.add_argument("--list", action="store_true", help="list the selected cases and exit")
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error("--repeats must be at least 1")
    if args.from_json and not args.plot:
        p.error("--from needs --plot")
    return args


def select_cases(args) -> list[cases.Case]:
    chosen = [c for c in cases.all_cases() if c.quick or not args.quick]
    if args.cases:
        chosen = [c for c in chosen if any(s in c.name for s in args.cases)]
    return chosen


def unique_labels(names: list[str]) -> list[str]:
    """Module names as column labels; a repeated name gets a suffix: zmq, zmq[2]."""
    labels, seen = [], {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        labels.append(n if seen[n] == 1 else f"{n}[{seen[n]}]")
    return labels


def draw(json_path: str, png_path: str) -> int:
    """--plot with --from: the chart of a saved run, without running anything."""
    try:
        with open(json_path) as f:
            doc = json.load(f)
        print(f"chart drawn in {plot.draw(doc, png_path)}")
    except (OSError, ValueError, plot.NoMatplotlib) as e:
        print(f"cannot draw {json_path}: {e}", file=sys.stderr)
        return 2
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.from_json:
        return draw(args.from_json, args.plot)
    if args.plot and not args.list:
        try:
            plot.require()
        except plot.NoMatplotlib as e:
            print(e, file=sys.stderr)
            return 2
    selected = select_cases(args)
    if args.list:
        for c in selected:
            print(c.name)
        return 0
    if not selected:
        print("no case matches", file=sys.stderr)
        return 2

    names = [args.impl] + args.vs
    workers = [Worker(n, label) for n, label in zip(names, unique_labels(names))]
    primary = workers[0].label
    started = time.monotonic()
    rows: list[report.Row] = []
    failures: list[report.Row] = []
    try:
        live = [w for w in workers if w.start()]
        machine = report.machine_info()
        report.out(report.header(machine, workers, primary, args.repeats, args.calibrate))
        if not live:
            report.out("\nno module could be imported")
            return 2
        report.out()
        report.out(report.table_header())
        modules = {w.label: w.modname for w in workers}
        primary_try_recv = workers[0].info.get("has_try_recv", False)
        done: dict = {}
        ran = 0
        # the extra try_recv row is for a primary that has try_recv()
        todo = [c for c in selected if c.func is not cases.percall_try_recv or primary_try_recv]
        for i, case in enumerate(todo, 1):
            report.progress(i, len(todo), case.name)
            outcomes, counts = run_case(case, live, args.repeats, args.timeout, args.calibrate)
            case_rows = report.make_rows(case, outcomes, counts, modules, primary, done)
            report.out(report.format_rows(case_rows))
            rows += case_rows
            first_metric = case.metrics[0] if case.metrics else None  # one failure per module
            failures += [r for r in case_rows if r.status == FAILED and r.metric == first_metric]
            ran += 1
    except KeyboardInterrupt:
        report.out("\ninterrupted")
        return 130
    finally:
        for w in workers:
            w.stop()

    elapsed = time.monotonic() - started
    report.out(f"\n{ran} cases x {len(live)} module(s) x {args.repeats} repeats in {elapsed:.0f} s")
    doc = report.results_doc(machine, workers, primary, vars(args), rows)
    if args.json:
        report.write_json(args.json, doc)
        report.out(f"results written to {args.json}")
    if args.plot:
        try:
            report.out(f"chart drawn in {plot.draw(doc, args.plot)}")
        except ValueError as e:
            report.out(f"no chart: {e}")
    if failures:
        report.out(f"{len(failures)} failure(s):")
        for r in failures:
            report.out(f"  {r.case.name} on {r.label}: {r.reason}")
        return 1
    if not workers[0].info:
        report.out(f"primary module {args.impl!r} failed to import: {workers[0].import_error}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
