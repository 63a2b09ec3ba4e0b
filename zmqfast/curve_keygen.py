"""
Generate a zmq curve keypair.

Prints a public and a secret key, both Z85-encoded (ASCII), in libzmq's curve_keygen layout.
``--json`` prints them as a JSON object instead; ``--secret=SECRET`` derives the public key
belonging to an existing secret key rather than making a new pair (write it with ``=``: a Z85
key may begin with ``-``, which would otherwise be read as an option).

Run it as ``python -m zmqfast.curve_keygen``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence


def _main(argv: Sequence[str] | None = None) -> None:
    import zmqfast

    # the name it was run as: `python -m zmq.curve_keygen` where zmq is zmqfast under that name
    run_as = __spec__.name if __spec__ is not None else "zmqfast.curve_keygen"
    parser = argparse.ArgumentParser(prog=f"python3 -m {run_as}", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the keys as a JSON object")
    parser.add_argument("--secret", type=str,
                        help="an existing secret key (Z85) whose public key to print")
    opts = parser.parse_args(argv)
    if opts.secret:
        secret = opts.secret
        public = zmqfast.curve_public(secret.encode()).decode()
    else:
        pub, sec = zmqfast.curve_keypair()
        public, secret = pub.decode(), sec.decode()
    if opts.json:
        json.dump({"public": public, "secret": secret}, sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write("\n")
        return
    sys.stdout.write(f"== CURVE PUBLIC KEY ==\n{public}\n\n== CURVE SECRET KEY ==\n{secret}\n")


if __name__ == "__main__":
    _main()
