"""Scale cases for IO_THREADS (issue 16): one context's connections on one or two I/O threads.

The same workloads as ``scale/pub`` and ``scale/router`` (their peers and checks are reused),
with the worker's context set to IO_THREADS = 1 or 2 before its first socket, for every module
in the run alike, so each row compares zmqfast with pyzmq on the same number of threads and the
two rows of a case show what the second thread brings each of them:

* ``scale/iothreads/pub/tcp/64B/100sub/io{1,2}``: a PUB sends 64 B messages to 100 SUBs in
  another process; deliveries per second (as ``scale/pub``). The PUB's I/O threads do the
  writes to the 100 connections: the part of the work a second thread can share.
* ``scale/iothreads/router/echo/1000dealers/io{1,2}``: a ROUTER echoes 16 B requests from
  1,000 DEALERs in another process, one request outstanding per DEALER; requests per second
  (as ``scale/router/echo``). Reads and decoding of the 1,000 connections are the I/O
  threads' part.

Not in ``--quick``; ``--cases scale/iothreads`` selects them. The peers keep one I/O thread.
On a machine with fewer free cores than the worker's threads plus the peers', a second I/O
thread cannot gain and may cost: read the io2/io1 pair with the machine's load in mind.
"""

from __future__ import annotations


from . import cases as C
from . import scale_pubsub as P
from . import scale_router as R

THREADS = (1, 2)
SUBS = 100
DEALERS = 1_000


def _threads(h: C.Harness, n: int) -> None:
    """IO_THREADS for the harness's context: before its first socket, which starts them."""
    h.ctx.set(h.zmq.IO_THREADS, n)


def iothreads_fanout(modname: str, subscribers: int, io_threads: int, count: int) -> float:
    """scale_pubsub.scale_fanout with the PUB's context on ``io_threads`` I/O threads."""
    count = max(count // subscribers, 1)
    P._need_fds(P._fds_for(subscribers))
    with C.Harness(modname) as h:
        _threads(h, io_threads)
        zmq = h.zmq
        pub = h.socket(zmq.PUB, P.SCALE_HWM)
        pub.setsockopt(zmq.BACKLOG, subscribers + 64)
        endpoint = h.bind(pub, "tcp")
        peer = h.peer(P._subs_role, "tcp", endpoint, topics=[[b""]] * subscribers)
        t0, r = P._publish(h, zmq, pub, peer, [b"D" * P.SIZE], count)
    for i, c in enumerate(r["counts"]):
        if c != count:
            raise C.CountError(f"subscriber {i} got {c} of {count}")
    if r["last_size"] != P.SIZE:
        raise C.CountError(f"last message has {r['last_size']} bytes, expected {P.SIZE}")
    return count * subscribers / (r["end"] - t0)


def iothreads_router_echo(modname: str, peers: int, io_threads: int, count: int) -> float:
    """scale_router.scale_router_echo with the ROUTER's context on ``io_threads`` I/O threads."""
    return R.scale_router_echo(modname, peers, count, setup=lambda h: _threads(h, io_threads))


def register(all_cases: list) -> None:
    """Append the IO_THREADS cases (bench.cases.all_cases calls this)."""
    for n in THREADS:
        all_cases.append(C.Case(
            f"scale/iothreads/pub/tcp/64B/{SUBS}sub/io{n}", iothreads_fanout,
            dict(subscribers=SUBS, io_threads=n, count=P.FANOUT_DELIVERIES),
            timeout=120.0, max_count=4_000_000))
    for n in THREADS:
        all_cases.append(C.Case(
            f"scale/iothreads/router/echo/{DEALERS}dealers/io{n}", iothreads_router_echo,
            dict(peers=DEALERS, io_threads=n, count=R.ECHO_COUNTS[DEALERS]), bytes_per_msg=R.SIZE,
            timeout=R.SCALE_TIMEOUT_S, max_count=R.ECHO_COUNTS[DEALERS]))


# the worker looks case functions up by name in bench.cases.CASE_FUNCS
C.CASE_FUNCS.update({f.__name__: f for f in (iothreads_fanout, iothreads_router_echo)})
