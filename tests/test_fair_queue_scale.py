"""Fair queueing over many pipes (route.c's fair queue: pipes that run dry leave the active set
and come back when their writer hands them back, so finding the next message does not cost a
scan of every pipe). Round robin across the active pipes, pipes going dry and coming back, pipes
removed while they hold messages, a peer disconnecting while its pipe is idle, a socket growing
past and shrinking below the size where idling starts, and 10,000 inproc pipes. Every test runs
against pyzmq too (ZMQFAST_IMPL=zmq): the behaviour is libzmq's."""

import random
import resource
import time

import pytest

MANY = 200  # well above the size (16 pipes) where zmqfast starts idling empty pipes


def _ctx_for(zmq, ctx, n):
    ctx.set(zmq.MAX_SOCKETS, n + 64)
    return ctx


def _connected(zmq, ctx, fast, ep, n, kind, ids=False):
    socks = []
    for i in range(n):
        s = fast(ctx.socket(kind))
        if ids:
            s.setsockopt(zmq.IDENTITY, b"p%d" % i)
        s.connect(ep)
        socks.append(s)
    return socks


def _drain(zmq, sock, multipart=False):
    """Everything readable now, then proof that nothing is left."""
    got = []
    while True:
        try:
            got.append(sock.recv_multipart(zmq.DONTWAIT) if multipart else sock.recv(zmq.DONTWAIT))
        except zmq.Again:
            break
    assert sock.poll(0) == 0
    return got


def _close(socks):
    for s in socks:
        s.close(linger=0)


def _warm_up(zmq, reader, writers, multipart):
    """One message from each writer, so every pipe is attached, then an empty read: every pipe
    has run dry and none is 'current'."""
    for w in writers:
        w.send(b"hello")
    for _ in writers:
        reader.recv_multipart() if multipart else reader.recv()
    with pytest.raises(zmq.Again):
        reader.recv(zmq.DONTWAIT)


def _pull_and_idle_pushes(zmq, ctx, fast, endpoint, n, room):
    """A PULL bound to an inproc endpoint with n PUSHes connected, each pipe attached and run
    dry: (pull, pushes, endpoint)."""
    _ctx_for(zmq, ctx, room)
    pull = fast(ctx.socket(zmq.PULL))
    ep = endpoint("inproc")
    pull.bind(ep)
    pushes = _connected(zmq, ctx, fast, ep, n, zmq.PUSH)
    _warm_up(zmq, pull, pushes, False)
    return pull, pushes, ep


@pytest.mark.parametrize("kind", ["PULL", "ROUTER"])
def test_each_round_takes_one_message_from_every_one_of_many_peers(zmq, ctx, fast, endpoint, kind):
    _ctx_for(zmq, ctx, MANY)
    router = kind == "ROUTER"
    reader = fast(ctx.socket(getattr(zmq, kind)))
    ep = endpoint("inproc")
    reader.bind(ep)
    writers = _connected(zmq, ctx, fast, ep, MANY, zmq.DEALER if router else zmq.PUSH, ids=router)
    _warm_up(zmq, reader, writers, router)
    rounds = 5
    for i, w in enumerate(writers):  # writer 0 fills its pipe first, writer 199 last
        for j in range(rounds):
            w.send(b"%d:%d" % (i, j))
    msgs = [reader.recv_multipart()[-1] if router else reader.recv() for _ in range(MANY * rounds)]
    senders = [int(m.split(b":")[0]) for m in msgs]
    for i in range(MANY):
        assert [int(m.split(b":")[1]) for m in msgs if int(m.split(b":")[0]) == i] == list(range(rounds))
    for k in range(rounds):  # every window of MANY messages has one from each writer
        assert sorted(senders[k * MANY:(k + 1) * MANY]) == list(range(MANY))
    assert _drain(zmq, reader, router) == []
    _close(writers)


def test_pipes_that_run_dry_and_come_back_are_read_again_and_nothing_else_is(zmq, ctx, fast, endpoint):
    pull, pushes, _ = _pull_and_idle_pushes(zmq, ctx, fast, endpoint, MANY, MANY)
    rng = random.Random(16)
    for rnd in range(60):
        # a few pipes, many, or one: each writes 1-3 messages into a pipe that had run dry
        k = rng.choice([1, 2, 5, 40, MANY])
        chosen = rng.sample(range(MANY), k)
        sent = []
        for i in chosen:
            for j in range(rng.randint(1, 3)):
                pushes[i].send(b"%d:%d:%d" % (rnd, i, j))
                sent.append(b"%d:%d:%d" % (rnd, i, j))
        got = [pull.recv() for _ in sent]
        assert sorted(got) == sorted(sent)
        for i in chosen:  # each pipe's messages in order
            mine = [m for m in got if m.split(b":")[1] == b"%d" % i]
            assert mine == sorted(mine, key=lambda m: int(m.split(b":")[2]))
        assert _drain(zmq, pull) == []
    _close(pushes)


def test_a_poller_sees_a_message_arriving_on_any_one_of_many_idle_pipes(zmq, ctx, fast, endpoint):
    pull, pushes, _ = _pull_and_idle_pushes(zmq, ctx, fast, endpoint, MANY, MANY)
    poller = zmq.Poller()
    poller.register(pull, zmq.POLLIN)
    for i in (0, MANY - 1, MANY // 2, 7, 7, 150):
        assert poller.poll(0) == []
        pushes[i].send(b"%d" % i)
        assert dict(poller.poll(5000)).get(pull) == zmq.POLLIN
        assert pull.recv() == b"%d" % i
    assert poller.poll(0) == []
    _close(pushes)


def test_peers_closed_while_their_messages_wait_leave_the_others_served(zmq, ctx, fast, endpoint):
    _ctx_for(zmq, ctx, MANY)
    router = fast(ctx.socket(zmq.ROUTER))
    ep = endpoint("inproc")
    router.bind(ep)
    dealers = _connected(zmq, ctx, fast, ep, MANY, zmq.DEALER, ids=True)
    _warm_up(zmq, router, dealers, True)
    for i, d in enumerate(dealers):
        for j in range(3):
            d.send(b"%d" % j)
    first = [router.recv_multipart() for _ in range(MANY)]  # some pipes read from, all still hold some
    gone, kept = dealers[: MANY // 2], dealers[MANY // 2:]
    _close(gone)
    for d in kept:
        for j in range(3, 6):
            d.send(b"%d" % j)
    rest = []
    while True:
        if not router.poll(500):
            break
        rest.append(router.recv_multipart())
    by_id = {}
    for ident, body in first + rest:
        by_id.setdefault(ident, []).append(int(body))
    for i in range(MANY // 2, MANY):  # the peers still there: all six, in order
        assert by_id[b"p%d" % i] == list(range(6))
    for i in range(MANY // 2):  # the closed ones: what arrived is a prefix of what they sent
        got = by_id.get(b"p%d" % i, [])
        assert got == list(range(len(got))) and len(got) <= 3
    # and the router still serves the ones that remain, both ways
    router.send_multipart([b"p%d" % (MANY - 1), b"ping"])
    assert kept[-1].recv() == b"ping"
    kept[0].send(b"again")
    assert router.recv_multipart() == [b"p%d" % (MANY // 2), b"again"]
    _close(kept)


def test_a_peer_that_disconnects_while_its_pipe_is_idle_frees_its_routing_id(zmq, ctx, fast, endpoint):
    n = 40
    router = fast(ctx.socket(zmq.ROUTER))
    router.bind(endpoint("tcp"))
    ep = router.getsockopt(zmq.LAST_ENDPOINT).decode()
    dealers = _connected(zmq, ctx, fast, ep, n, zmq.DEALER, ids=True)
    _warm_up(zmq, router, dealers, True)  # every pipe idle now
    dealers[7].close(linger=0)
    again = fast(ctx.socket(zmq.DEALER))
    again.setsockopt(zmq.IDENTITY, b"p7")
    again.setsockopt(zmq.RECONNECT_IVL, 50)
    again.connect(ep)
    # refused while the old connection holds the id, the new one reconnects until it is free
    deadline = time.monotonic() + 10
    while True:
        assert time.monotonic() < deadline, "the closed peer's id was never released"
        again.send(b"new")
        if router.poll(100):
            ident, body = router.recv_multipart()
            if body == b"new":
                assert ident == b"p7"
                break
    router.send_multipart([b"p7", b"back"])
    assert again.recv() == b"back"
    dealers[8].send(b"others too")
    while True:  # the retries that queued up before the id was free
        ident, body = router.recv_multipart()
        if ident != b"p7":
            break
    assert (ident, body) == (b"p8", b"others too")
    _close(dealers[:7] + dealers[8:] + [again])


def test_a_socket_shrinking_below_and_growing_past_many_pipes_reads_from_all(zmq, ctx, fast, endpoint):
    pull, pushes, ep = _pull_and_idle_pushes(zmq, ctx, fast, endpoint, 40, 64)  # 40 idle pipes
    for size in (30, 17, 16, 15, 3, 1):  # close all but `size`, each remaining one still heard
        _close(pushes[size:])
        pushes = pushes[:size]
        pull.poll(50)  # the delimiters are read: the pipes leave
        for i, p in enumerate(pushes):
            p.send(b"%d:%d" % (size, i))
        got = sorted(pull.recv() for _ in pushes)
        assert got == sorted(b"%d:%d" % (size, i) for i in range(size))
        assert _drain(zmq, pull) == []
    more = _connected(zmq, ctx, fast, ep, 39, zmq.PUSH)
    pushes += more
    for i, p in enumerate(pushes):  # and past it again
        p.send(b"%d" % i)
    assert sorted(pull.recv() for _ in pushes) == sorted(b"%d" % i for i in range(40))
    assert _drain(zmq, pull) == []
    _close(pushes)


def _raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f"needs {need} file descriptors, the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


@pytest.mark.timeout(300)
def test_ten_thousand_inproc_pipes_each_delivered_once_and_in_turn(zmq, ctx, endpoint):
    n = 10000
    _raise_fd_limit(n + 512)  # each socket holds one descriptor (its signal: an eventfd)
    _ctx_for(zmq, ctx, n)
    pull = ctx.socket(zmq.PULL)
    pull.setsockopt(zmq.RCVTIMEO, 20000)
    ep = endpoint("inproc")
    pull.bind(ep)
    pushes = []
    for i in range(n):
        p = ctx.socket(zmq.PUSH)
        p.setsockopt(zmq.LINGER, 0)
        p.connect(ep)
        pushes.append(p)
    try:
        for i, p in enumerate(pushes):
            p.send(b"%d" % i)
        got = [pull.recv() for _ in range(n)]
        assert sorted(int(m) for m in got) == list(range(n))
        with pytest.raises(zmq.Again):
            pull.recv(zmq.DONTWAIT)
        # every pipe has run dry; a few of them come back, each is read, in a round
        back = list(range(0, n, 97))
        for i in back:
            pushes[i].send(b"a%d" % i)
            pushes[i].send(b"b%d" % i)
        t0 = time.monotonic()
        got = [pull.recv() for _ in range(2 * len(back))]
        elapsed = time.monotonic() - t0
        assert sorted(got[: len(back)]) == sorted(b"a%d" % i for i in back)
        assert sorted(got[len(back):]) == sorted(b"b%d" % i for i in back)
        assert elapsed < 5
        with pytest.raises(zmq.Again):
            pull.recv(zmq.DONTWAIT)
    finally:
        _close(pushes)
        pull.close(linger=0)
