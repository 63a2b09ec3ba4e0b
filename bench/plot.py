"""``--plot``: a chart of the ratios, per case and transport, one panel per compared module.

It reads the same dictionary that ``--json`` saves, so a saved run can be drawn again later
(``--plot PNG --from JSON``). matplotlib is an optional extra (``pip install zmqfast[plot]``);
nothing else in the bench imports it.
"""

from __future__ import annotations

TRANSPORTS = ("inproc", "ipc", "tcp")
PER_CALL = "per call"  # the "transport" of cases that have none (percall/...)
COLOURS = {"inproc": "#4c72b0", "ipc": "#dd8452", "tcp": "#55a868", PER_CALL: "#8172b3"}


class NoMatplotlib(RuntimeError):
    pass


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise NoMatplotlib("--plot needs matplotlib: pip install 'zmqfast[plot]' "
                           "(or pip install matplotlib)") from None
    matplotlib.use("Agg")  # files only: no display needed, none opened
    import matplotlib.pyplot as plt
    return plt


def require() -> None:
    """Fail now, before a long run, rather than after it."""
    _pyplot()


def split_name(case: str, metric: str | None) -> tuple[str, str]:
    """("push_pull/tcp/64B", None) -> ("push_pull 64B", "tcp"); percall has no transport."""
    parts = case.split("/")
    if len(parts) > 1 and parts[1] in TRANSPORTS:
        transport, rest = parts[1], parts[2:]
    else:
        transport, rest = PER_CALL, parts[1:]
    label = " ".join([parts[0], "/".join(rest)] + ([metric] if metric else []))
    return label.strip(), transport


def ratios(doc: dict) -> dict[str, dict[str, dict[str, float]]]:
    """{other module: {row label: {transport: ratio}}}, rows in the order the cases ran."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for r in doc["results"]:
        if r["label"] == doc["primary"] or r.get("ratio") is None:
            continue
        label, transport = split_name(r["case"], r.get("metric"))
        if r.get("ratio_note"):  # e.g. try_recv, which pyzmq lacks: "vs its percall/recv_empty"
            label += f" ({r['ratio_note'].replace('its ', '').split('/')[-1]})"
        out.setdefault(r["label"], {}).setdefault(label, {})[transport] = r["ratio"]
    return out


def draw(doc: dict, path: str) -> str:
    """Write the chart of ``doc`` (a --json result) to ``path`` as PNG; returns ``path``."""
    table = ratios(doc)
    if not table:
        raise ValueError("no ratios to draw: the run compared no module (--vs NAME)")
    plt = _pyplot()
    rows = list(dict.fromkeys(label for per in table.values() for label in per))
    used = [t for t in (*TRANSPORTS, PER_CALL)
            if any(t in per.get(label, {}) for per in table.values() for label in rows)]
    fig, axes = plt.subplots(1, len(table), sharey=True, squeeze=False,
                             figsize=(4.2 + 3.4 * len(table), 1.4 + 0.34 * len(rows)))
    for ax, (other, per) in zip(axes[0], table.items()):
        # each row shares its slot among the transports it has, so no row has gaps
        present = {label: [t for t in used if any(t in p.get(label, {}) for p in table.values())]
                   for label in rows}
        for transport in used:
            ys, xs, hs = [], [], []
            for y, label in enumerate(rows):
                if transport in per.get(label, {}):
                    n = len(present[label])
                    h = 0.8 / max(n, 2)  # a lone bar no thicker than one of a pair
                    ys.append(y - n * h / 2 + h * (present[label].index(transport) + 0.5))
                    xs.append(per[label][transport])
                    hs.append(h)
            bars = ax.barh(ys, xs, height=hs, color=COLOURS[transport], label=transport)
            ax.bar_label(bars, [f"{x:.3g}" for x in xs], padding=2, fontsize=6)
        ax.set_xscale("log")
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_title(f"{doc['primary']} vs {other}", fontsize=10)
        ax.set_xlabel("ratio (log scale): > 1 means " + doc["primary"] + " is better", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(axis="x", which="major", linewidth=0.3)
        left, right = ax.get_xlim()
        ax.set_xlim(min(left, 0.5), right * 2.5)  # room for the value labels
    axes[0][0].set_yticks(range(len(rows)), rows)
    axes[0][0].invert_yaxis()  # first case on top, as in the table
    axes[0][-1].legend(fontsize=7, loc="lower right")
    m = doc.get("machine", {})
    load = f", load {m['load'][0]:g}" if m.get("load") else ""
    fig.suptitle(f"python -m bench, {m.get('date', '')[:10]}: {m.get('cpu', '')}, "
                 f"{m.get('cpu_count', '?')} CPUs{load}, {m.get('python', '')}", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
