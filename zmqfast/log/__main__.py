"""Log watcher: ``python -m zmqfast.log tcp://host:port`` prints what a PUBHandler publishes.

It subscribes to the topic given with ``--topic`` (default: everything, which suits a PUBHandler
with its default root topic; pass the root topic here if you changed it with setRootTopic) and
prints each record as ``topic<separator>message``. The topic already carries the level (a
PUBHandler topic is ``root.LEVEL...``), so the level may show twice with PUBHandler's default
formats, which also contain it.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Sequence

import zmqfast as zmq


def _colors(enabled: bool) -> dict[str, str]:
    if not enabled:
        return {}
    import colorama

    colorama.init()
    fore = colorama.Fore
    return {"DEBUG": fore.LIGHTCYAN_EX, "INFO": fore.LIGHTWHITE_EX, "WARNING": fore.YELLOW,
            "ERROR": fore.LIGHTRED_EX, "CRITICAL": fore.LIGHTRED_EX, "__RESET__": fore.RESET}


def main(argv: Sequence[str] | None = None) -> None:
    """Run the watcher (arguments from the command line unless argv is given) until Ctrl-C."""
    parser = argparse.ArgumentParser("ZMQ Log Watcher")
    parser.add_argument("zmq_pub_url", type=str, help="URL to a ZMQ publisher socket.")
    parser.add_argument("-t", "--topic", type=str, default="",
                        help="Only receive messages that start with this topic.")
    parser.add_argument("--timestamp", action="store_true",
                        help="Append local time to the log messages.")
    parser.add_argument("--separator", type=str, default=" | ",
                        help="String to print between topic and message.")
    parser.add_argument("--dateformat", type=str, default="%Y-%d-%m %H:%M",
                        help="Set alternative date format for use with --timestamp.")
    parser.add_argument("--align", action="store_true", default=False,
                        help="Try to align messages by the width of their topics.")
    parser.add_argument("--color", action="store_true", default=False,
                        help="Color the output based on the error level. Requires the colorama module.")
    args = parser.parse_args(argv)
    colors = _colors(args.color)
    reset = colors.get("__RESET__", "")
    widths: list[int] = []

    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.subscribe(args.topic.encode("utf8"))
    sub.connect(args.zmq_pub_url)
    try:
        while True:
            try:
                if not sub.poll(10, zmq.POLLIN):
                    continue
                frames = sub.recv_multipart()
            except KeyboardInterrupt:
                break
            if len(frames) != 2:
                continue  # not a PUBHandler record
            topic = frames[0].decode("utf8").strip()
            parts = topic.split(".")
            level = parts[0] if len(parts) == 1 else parts[1]
            shown = topic
            if args.align:
                parts += [" "] * (len(widths) - len(parts))
                widths += [0] * (len(parts) - len(widths))
                for i, part in enumerate(parts):
                    widths[i] = max(widths[i], len(part))
                shown = ".".join(part.ljust(widths[i]) for i, part in enumerate(parts))
            stamp = datetime.now().strftime(args.dateformat) + " " if args.timestamp else ""
            text = frames[1].decode("utf8").strip()
            print(f"{stamp}{colors.get(level, '')}{shown}{args.separator}{text}{reset}", flush=True)
    finally:
        sub.close(linger=0)
        ctx.term()
        if args.color:
            print(reset)


if __name__ == "__main__":
    main()
