"""zmqfast.devices: the same device classes pyzmq code uses."""

import importlib
import struct
import time

import pytest


@pytest.fixture
def devices(zmq):
    return importlib.import_module(zmq.__name__ + ".devices")


@pytest.fixture
def dctx(zmq):
    c = zmq.Context()
    yield c
    c.term()  # ends the device threads (ContextTerminated), then the context


def _start_inproc(zmq, dev, dctx, name, *roles):
    """Run dev on dctx with every socket bound to inproc://{name}-{role}; wait for the binds."""
    dev.context_factory = lambda: dctx
    for role in roles:
        getattr(dev, f"setsockopt_{role}")(zmq.LINGER, 0)
        getattr(dev, f"bind_{role}")(f"inproc://{name}-{role}")
    dev.start()
    time.sleep(0.05)


def _sockets(zmq, dctx, *types_and_addrs):
    """Sockets of dctx connected to the given inproc addresses, with short timeouts."""
    socks = []
    for sock_type, addr in types_and_addrs:
        s = dctx.socket(sock_type)
        s.rcvtimeo = 3000
        s.linger = 0
        s.connect(addr)
        socks.append(s)
    return socks


def _client(zmq, sock_type, addr):
    c = zmq.Context.instance()
    s = c.socket(sock_type)
    s.rcvtimeo = s.sndtimeo = 3000
    s.linger = 0
    s.connect(addr)
    return s


def test_thread_device_queue_brokers_requests(zmq, devices, dctx):
    dev = devices.ThreadDevice(zmq.QUEUE, zmq.ROUTER, zmq.DEALER)
    dev.context_factory = lambda: dctx
    fport = dev.bind_in_to_random_port("tcp://127.0.0.1")
    bport = dev.bind_out_to_random_port("tcp://127.0.0.1")
    dev.setsockopt_in(zmq.LINGER, 0)
    dev.setsockopt_out(zmq.LINGER, 0)
    dev.start()
    worker = _client(zmq, zmq.REP, f"tcp://127.0.0.1:{bport}")
    client = _client(zmq, zmq.REQ, f"tcp://127.0.0.1:{fport}")
    client.send(b"ping")
    worker.send(worker.recv() + b"!")
    assert client.recv() == b"ping!"
    worker.close()
    client.close()


@pytest.mark.parametrize("side", ["in", "out"])
def test_single_socket_device_sends_back_what_it_receives(zmq, devices, dctx, side):
    # ThreadDevice(QUEUE, REP, -1): one socket, in and out at once; its "out" endpoints are
    # that socket's too
    dev = devices.ThreadDevice(zmq.QUEUE, zmq.REP, -1)
    dev.context_factory = lambda: dctx
    client = zmq.Context.instance().socket(zmq.REQ)
    client.rcvtimeo = client.sndtimeo = 3000
    client.linger = 0
    port = client.bind_to_random_port("tcp://127.0.0.1")
    getattr(dev, f"connect_{side}")(f"tcp://127.0.0.1:{port}")
    dev.setsockopt_in(zmq.LINGER, 0)
    dev.start()
    client.send(b"echo")
    assert client.recv() == b"echo"
    client.close()


def test_thread_proxy_copies_to_its_monitor(zmq, devices, dctx):
    dev = devices.ThreadProxy(zmq.PULL, zmq.PUSH, zmq.PUSH)
    _start_inproc(zmq, dev, dctx, "dev", "in", "out", "mon")
    src, dst, mon = _sockets(zmq, dctx, (zmq.PUSH, "inproc://dev-in"), (zmq.PULL, "inproc://dev-out"),
                             (zmq.PULL, "inproc://dev-mon"))
    src.send(b"hello")
    assert dst.recv() == b"hello"
    assert mon.recv() == b"hello"
    for s in (src, dst, mon):
        s.close()


# Under pyzmq 27.3 this test fails and then hangs in the context's term() at teardown (not
# investigated: the device there may keep its sockets open after TERMINATE).
@pytest.mark.zmqfast_only
def test_thread_proxy_steerable_is_controlled_and_terminated(zmq, devices, dctx):
    dev = devices.ThreadProxySteerable(zmq.PULL, zmq.PUSH, zmq.PUSH, zmq.PAIR)
    _start_inproc(zmq, dev, dctx, "st", "in", "out", "mon", "ctrl")
    # The capture PUSH needs a reader: without one the proxy waits for it, as libzmq's does.
    src, dst, mon, ctrl = _sockets(zmq, dctx, (zmq.PUSH, "inproc://st-in"), (zmq.PULL, "inproc://st-out"),
                                   (zmq.PULL, "inproc://st-mon"), (zmq.PAIR, "inproc://st-ctrl"))
    src.send(b"x")
    assert dst.recv() == b"x"
    assert mon.recv() == b"x"
    ctrl.send(b"STATISTICS")
    stats = [struct.unpack("=Q", f)[0] for f in ctrl.recv_multipart()]
    assert stats[0] == 1 and stats[6] == 1
    ctrl.send(b"TERMINATE")
    dev.join(5)
    assert not dev.launcher.is_alive()
    for s in (src, dst, mon, ctrl):
        s.close()


def test_monitored_queue_reports_both_directions_with_prefixes(zmq, devices, dctx):
    dev = devices.ThreadMonitoredQueue(zmq.ROUTER, zmq.DEALER, zmq.PUSH, b"in", b"out")
    _start_inproc(zmq, dev, dctx, "mq", "in", "out", "mon")
    client, worker, mon = _sockets(zmq, dctx, (zmq.REQ, "inproc://mq-in"), (zmq.REP, "inproc://mq-out"),
                                   (zmq.PULL, "inproc://mq-mon"))
    client.send(b"req")
    worker.send(worker.recv() + b"-done")
    assert client.recv() == b"req-done"
    first, second = mon.recv_multipart(), mon.recv_multipart()
    assert first[0] == b"in" and first[-1] == b"req"
    assert second[0] == b"out" and second[-1] == b"req-done"
    for s in (client, worker, mon):
        s.close()


def test_process_device_runs_in_a_child(zmq, devices):
    dev = devices.ProcessDevice(zmq.QUEUE, zmq.PULL, zmq.PUSH)
    inport = dev.bind_in_to_random_port("tcp://127.0.0.1")
    outport = dev.bind_out_to_random_port("tcp://127.0.0.1")
    dev.start()
    try:
        src = _client(zmq, zmq.PUSH, f"tcp://127.0.0.1:{inport}")
        dst = _client(zmq, zmq.PULL, f"tcp://127.0.0.1:{outport}")
        src.send(b"through a process")
        assert dst.recv() == b"through a process"
        src.close()
        dst.close()
    finally:
        dev.launcher.terminate()
        dev.join(5)
