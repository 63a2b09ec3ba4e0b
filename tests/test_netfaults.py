"""Faults between two hosts: a PUSH in one network namespace streams to a PULL in another over
a veth pair, and the test cuts the link, restarts the PULL, or (where the kernel has netem)
adds loss and delay. Each end is a child process (tests/netfault_peer.py) that reports every
message sent and every message received with its time, so the test can say what was lost and
when. What must hold, as with libzmq: no message arrives torn (every multipart whole) or twice,
each arrives in order; the only messages lost are those already handed to the kernel on the
connection that died (sent before the fault was noticed); whatever was queued while the peer
was away (within SNDHWM) arrives; and the connection is back within RECONNECT_IVL plus a few
round trips once the peer can be reached.

Needs root, iproute2 (`ip`, `tc`) and permission to create network namespaces; the tests skip,
saying why, where any of that is missing. The namespaces, their veth pair and their addresses
(10.201.7.0/24, only inside the two namespaces) are removed even when a test fails."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "netfault_peer.py")
PORT = 5790
ADDR_A, ADDR_B = "10.201.7.1", "10.201.7.2"
ENDPOINT = f"tcp://{ADDR_B}:{PORT}"

RECONNECT_IVL_MS = 100
HEARTBEAT_IVL_MS = 100
HEARTBEAT_TIMEOUT_MS = 500
# what the test allows beyond the protocol's own timers: process scheduling on a loaded 2-core CI
# machine, the kernel's handling of the link, a few round trips of handshake
SLACK_S = 1.0

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="network namespaces are Linux's")


def _ip(*args, check=True):
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20, check=check)


class Peer:
    """A netfault_peer.py child in a namespace; its report lines are collected as they come."""

    def __init__(self, ns, env, *args):
        self.lines = []
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, PEER, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.split())

    def wait_for(self, pred, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred(self.lines):
                return True
            time.sleep(0.01)
        return False

    def finish(self, timeout):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"peer {self.proc.args[4:]} did not finish in {timeout} s")
        self.reader.join(5)
        err = self.proc.stderr.read()
        assert self.proc.returncode == 0, f"peer {self.proc.args[4:]} failed:\n{err}"

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.reader.join(5)

    def sent(self):
        return {int(w[1]): float(w[2]) for w in self.lines if w[0] == "s"}

    def received(self):
        return [(int(w[1]), float(w[2])) for w in self.lines if w[0] == "r"]

    def torn(self):
        return [w for w in self.lines if w[0] == "torn"]

    def bound_at(self):
        return next(float(w[1]) for w in self.lines if w[0] == "bound")


class TwoHosts:
    """Namespaces a and b joined by a veth pair: a at ADDR_A, b at ADDR_B."""

    def __init__(self, env):
        tag = f"{os.getpid() % 100000}"
        self.a, self.b = f"zfnf{tag}a", f"zfnf{tag}b"
        self.va, self.vb = f"zfnf{tag}va", f"zfnf{tag}vb"
        self.env = env
        self.peers = []
        self.made = []
        r = _ip("netns", "add", self.a, check=False)
        if r.returncode != 0:
            pytest.skip(f"network namespaces are not permitted here (ip netns add: {r.stderr.strip()})")
        self.made.append(self.a)
        _ip("netns", "add", self.b)
        self.made.append(self.b)
        _ip("-n", self.a, "link", "add", self.va, "type", "veth", "peer", "name", self.vb, "netns", self.b)
        _ip("-n", self.a, "addr", "add", f"{ADDR_A}/24", "dev", self.va)
        _ip("-n", self.b, "addr", "add", f"{ADDR_B}/24", "dev", self.vb)
        for ns, dev in ((self.a, self.va), (self.b, self.vb)):
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", dev, "up")

    def close(self):
        for p in self.peers:
            p.kill()
        for ns in self.made:  # the veth pair and the addresses go with them
            _ip("netns", "del", ns, check=False)

    def peer(self, ns, *args, **opts):
        env = dict(self.env)
        for k, v in opts.items():
            env["NETFAULT_" + k.upper()] = str(v)
        p = Peer(ns, env, *args)
        self.peers.append(p)
        return p

    def link(self, state):
        _ip("-n", self.a, "link", "set", self.va, state)


@pytest.fixture
def hosts(subprocess_env):
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    missing = [t for t in ("ip", "tc") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"iproute2 is not installed ({', '.join(missing)} missing)")
    h = TwoHosts(subprocess_env)
    try:
        yield h
    finally:
        h.close()


def check_stream(sent, received, lost_before):
    """Everything arrived whole, once, in order; the lost messages were all sent before
    lost_before (on the connection that died)."""
    seqs = [s for s, _ in received]
    assert len(seqs) == len(set(seqs)), "a message arrived twice"
    assert seqs == sorted(seqs), "messages arrived out of order"
    lost = sorted(set(sent) - set(seqs))
    late = [s for s in lost if sent[s] >= lost_before]
    assert not late, (f"{len(late)} messages sent after the fault was noticed were lost "
                      f"(first {late[:5]}), of {len(lost)} lost in all")
    return lost


STREAM = dict(reconnect_ivl=RECONNECT_IVL_MS, connect_timeout=300,
              heartbeat_ivl=HEARTBEAT_IVL_MS, heartbeat_timeout=HEARTBEAT_TIMEOUT_MS)


def test_a_cut_link_is_noticed_and_the_stream_resumes_within_reconnect_ivl(hosts):
    pull = hosts.peer(hosts.b, "pull", f"tcp://*:{PORT}", "2.5", **STREAM)
    assert pull.wait_for(lambda ls: any(w[0] == "bound" for w in ls), 15), "the PULL never bound"
    push = hosts.peer(hosts.a, "push", ENDPOINT, "600", "150", **STREAM)
    assert pull.wait_for(lambda ls: sum(w[0] == "r" for w in ls) >= 100, 15), "nothing flows"

    down_at = time.time()
    hosts.link("down")
    time.sleep(1.5)  # three heartbeat timeouts: both ends give the connection up
    hosts.link("up")
    up_at = time.time()

    push.finish(30)
    pull.finish(30)
    assert not pull.torn(), f"torn multipart messages: {pull.torn()[:5]}"
    sent, received = push.sent(), pull.received()
    assert len(sent) == 600
    check_stream(sent, received, down_at + HEARTBEAT_TIMEOUT_MS / 1000 + SLACK_S)
    back = [t for _, t in received if t > up_at]
    assert back, "nothing arrived after the link came back"
    took = back[0] - up_at
    assert took < RECONNECT_IVL_MS / 1000 + SLACK_S, f"first message {took:.2f} s after the link came back"
    assert received[-1][0] == 599


def test_a_restarted_pull_gets_the_queued_messages_within_reconnect_ivl(hosts):
    first = hosts.peer(hosts.b, "pull", f"tcp://*:{PORT}", "10", **STREAM)
    assert first.wait_for(lambda ls: any(w[0] == "bound" for w in ls), 15), "the PULL never bound"
    push = hosts.peer(hosts.a, "push", ENDPOINT, "600", "150", **STREAM)
    assert first.wait_for(lambda ls: sum(w[0] == "r" for w in ls) >= 100, 15), "nothing flows"

    killed_at = time.time()
    first.kill()
    time.sleep(0.3)  # the PUSH queues meanwhile
    second = hosts.peer(hosts.b, "pull", f"tcp://*:{PORT}", "2.5", **STREAM)
    assert second.wait_for(lambda ls: any(w[0] == "bound" for w in ls), 15), "the new PULL never bound"

    push.finish(30)
    second.finish(30)
    assert not first.torn() and not second.torn()
    sent = push.sent()
    assert len(sent) == 600
    before, after = first.received(), second.received()
    assert after, "the restarted PULL got nothing"
    # a message reaches one PULL or the other, never both
    assert not {s for s, _ in before} & {s for s, _ in after}, "messages arrived twice"
    check_stream(sent, before + after, killed_at + SLACK_S / 2)
    took = after[0][1] - second.bound_at()
    assert took < RECONNECT_IVL_MS / 1000 + SLACK_S, f"first message {took:.2f} s after the new PULL bound"
    assert after[-1][0] == 599


def test_loss_and_delay_slow_the_stream_but_lose_and_tear_nothing(hosts):
    for ns, dev in ((hosts.a, hosts.va), (hosts.b, hosts.vb)):
        r = subprocess.run(["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root",
                            "netem", "delay", "40ms", "10ms", "loss", "5%"],
                           capture_output=True, text=True, timeout=20)
        if r.returncode != 0:
            pytest.skip(f"this kernel has no netem qdisc (sch_netem) for loss and delay: {r.stderr.strip()}")
    # no heartbeats here: TCP recovers lost segments, and the connection must simply survive
    opts = dict(reconnect_ivl=RECONNECT_IVL_MS)
    pull = hosts.peer(hosts.b, "pull", f"tcp://*:{PORT}", "3", **opts)
    assert pull.wait_for(lambda ls: any(w[0] == "bound" for w in ls), 15), "the PULL never bound"
    push = hosts.peer(hosts.a, "push", ENDPOINT, "400", "200", **opts)
    push.finish(40)
    pull.finish(40)
    assert not pull.torn()
    sent, received = push.sent(), pull.received()
    check_stream(sent, received, lost_before=0)  # nothing may be lost
    assert [s for s, _ in received] == list(range(400))
    lat = sorted(t - sent[s] for s, t in received)
    assert lat[len(lat) // 2] >= 0.03, "netem's delay is not in effect"
