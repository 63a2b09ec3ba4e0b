"""Benchmark harness: zmqfast against other pyzmq-compatible modules, side by side.

``python -m bench --vs zmq`` runs every workload on zmqfast and on pyzmq in the same run,
alternating repeats (A B A B ...), and prints medians, spreads and ratios.

- ``bench.cases``: the workloads (each a function of the module name and parameters that
  returns a number) and the list of cases.
- ``bench.runner``: one long-lived worker process per module, so each process imports only the
  module under test; timeouts and crash handling.
- ``bench.report``: the header, the table and the JSON file.
- ``bench.__main__``: the command line.

Nothing here imports zmq or zmqfast at import time.
"""
