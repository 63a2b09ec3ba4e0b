"""Subscription matching (the prefix trie of csrc/subs.c): many topics, prefixes that overlap,
repeated and unknown subscriptions, subscribers leaving, INVERT_MATCHING and the XPUB
notifications. Every message must reach exactly the subscribers whose subscriptions match it.
These run on pyzmq too (ZMQFAST_IMPL=zmq): the behaviour is libzmq's."""

import time

import pytest

SETTLE_S = 0.3


def _sub(zmq, ctx, addr, topics, kind=None):
    s = ctx.socket(kind or zmq.SUB)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVHWM, 0)
    s.setsockopt(zmq.SNDHWM, 0)  # libzmq drops subscriptions past SNDHWM (10,000 here)
    s.setsockopt(zmq.RCVTIMEO, 5000)
    for t in topics:
        s.setsockopt(zmq.SUBSCRIBE, t)
    s.connect(addr)
    return s


def _pub(zmq, ctx, kind=None):
    p = ctx.socket(kind or zmq.PUB)
    p.setsockopt(zmq.LINGER, 0)
    p.setsockopt(zmq.SNDHWM, 0)
    p.bind("tcp://127.0.0.1:*")
    return p, p.getsockopt(zmq.LAST_ENDPOINT).decode()


def _sync(zmq, pub, subs, marker=b"\xffsync"):
    """Publish marker until every SUB (each subscribed to it) has it: their subscriptions have
    all reached the publisher, since each SUB's arrive in order on its connection."""
    pending = set(range(len(subs)))
    deadline = time.monotonic() + 10
    while pending:
        assert time.monotonic() < deadline, "subscriptions never arrived"
        pub.send(marker)
        time.sleep(0.02)
        for i in list(pending):
            try:
                while subs[i].recv(zmq.NOBLOCK) == marker:
                    pending.discard(i)
            except zmq.Again:
                pass
    time.sleep(0.05)
    for s in subs:  # drop extra markers
        try:
            while True:
                s.recv(zmq.NOBLOCK)
        except zmq.Again:
            pass


def _topics(zmq, pub):
    """TOPICS_COUNT of a publisher, once it has taken in what arrived (as libzmq, reading
    EVENTS makes it process its peers' input)."""
    pub.getsockopt(zmq.EVENTS)
    return pub.getsockopt(zmq.TOPICS_COUNT)


def _counts_departures(zmq):
    """Whether TOPICS_COUNT drops when a subscriber leaves: libzmq 4.3.5 sends the upstream
    unsubscriptions but leaves its count of prefixes as it was (its trie's removal by pipe does
    not update it); zmqfast counts what is still subscribed."""
    return zmq.__name__ == "zmqfast"


def _collect(zmq, sock, end=b"\xffend"):
    """Every message up to the end marker (which the sock is subscribed to)."""
    out = []
    while True:
        m = sock.recv()
        if m == end:
            return out
        out.append(m)


def _drain_notes(zmq, x, timeout_ms=300):
    x.setsockopt(zmq.RCVTIMEO, timeout_ms)
    out = []
    while True:
        try:
            out.append(x.recv())
        except zmq.Again:
            return out


def test_ten_thousand_topics_each_message_reaches_only_its_topic(zmq, ctx):
    pub, addr = _pub(zmq, ctx)
    topics = [b"topic.%05d." % i for i in range(10_000)]
    sub = _sub(zmq, ctx, addr, topics + [b"\xff"])
    try:
        assert sub.getsockopt(zmq.TOPICS_COUNT) == 10_001
        _sync(zmq, pub, [sub])
        sent = []
        for i in range(0, 10_000, 97):
            m = b"topic.%05d.payload" % i
            pub.send(m)
            sent.append(m)
            pub.send(b"topic.%05d" % i)  # shorter than the subscription: no match
            pub.send(b"topic.%05dx" % i)  # diverges at the last byte: no match
            pub.send(b"other %d" % i)
        pub.send(b"\xffend")
        assert _collect(zmq, sub) == sent
    finally:
        sub.close()
        pub.close()


def test_xpub_counts_ten_thousand_topics_from_several_subscribers(zmq, ctx):
    xpub, addr = _pub(zmq, ctx, zmq.XPUB)
    subs = [_sub(zmq, ctx, addr, [b"t%05d" % i for i in range(k, 10_000, 4)]) for k in range(4)]
    try:
        deadline = time.monotonic() + 20
        while _topics(zmq, xpub) < 10_000:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert len(_drain_notes(zmq, xpub, 100)) == 10_000
        xpub.send(b"t01234 hello")  # 1234 % 4 == 2
        xpub.send(b"t09999")  # 9999 % 4 == 3
        for s in subs:
            s.setsockopt(zmq.RCVTIMEO, 300)
        assert subs[2].recv() == b"t01234 hello"
        assert subs[3].recv() == b"t09999"
        for i in (0, 1):
            with pytest.raises(zmq.Again):
                subs[i].recv()
    finally:
        for s in subs:
            s.close()
        xpub.close()


def test_overlapping_prefixes_deliver_once_to_each_matching_subscriber(zmq, ctx):
    pub, addr = _pub(zmq, ctx)
    plans = {
        "a": [b"a"],
        "ab": [b"ab"],
        "abc": [b"abc"],
        "all": [b""],
        "a+ab+abc": [b"a", b"ab", b"abc"],  # three prefixes of "abcd": still one copy
        "b": [b"b"],
    }
    names = list(plans)
    subs = [_sub(zmq, ctx, addr, plans[n] + [b"\xff"]) for n in names]
    try:
        _sync(zmq, pub, subs)
        msgs = [b"a", b"ab", b"abc", b"abcd", b"abd", b"b", b"ba", b"", b"c", b"x\x00a"]
        for m in msgs:
            pub.send(m)
        pub.send(b"\xffend")
        for n, s in zip(names, subs):
            want = [m for m in msgs if any(m.startswith(t) for t in plans[n])]
            assert _collect(zmq, s) == want, n
    finally:
        for s in subs:
            s.close()
        pub.close()


def test_many_subscribers_on_different_topics_get_exactly_their_matches(zmq, ctx):
    pub, addr = _pub(zmq, ctx)
    # "k1" is a prefix of "k10".."k19": overlaps between subscribers, and a wide node ("k"
    # has 40 children with the digits' first bytes only ten: its subtree branches again)
    plans = [[b"k%d" % i] for i in range(40)]
    plans[7].append(b"k3")  # one subscriber on two unrelated branches
    plans[8].append(b"")  # and one on everything
    subs = [_sub(zmq, ctx, addr, p + [b"\xff"]) for p in plans]
    try:
        _sync(zmq, pub, subs)
        msgs = [b"k%d" % i for i in range(45)] + [b"k1x", b"k", b"j", b"k123"]
        for m in msgs:
            pub.send(m)
        pub.send(b"\xffend")
        for i, s in enumerate(subs):
            want = [m for m in msgs if any(m.startswith(t) for t in plans[i])]
            assert _collect(zmq, s) == want, i
    finally:
        for s in subs:
            s.close()
        pub.close()


def test_wide_fanout_of_topics_by_first_byte(zmq, ctx):
    # every byte value as a first byte: the root becomes a dense node and back
    pub, addr = _pub(zmq, ctx)
    topics = [bytes([b]) + b"/t" for b in range(255)]
    sub = _sub(zmq, ctx, addr, topics + [b"\xff"])
    try:
        _sync(zmq, pub, [sub])
        for t in topics[:250]:
            sub.setsockopt(zmq.UNSUBSCRIBE, t)
        time.sleep(SETTLE_S)
        msgs = [bytes([b]) + b"/t!" for b in range(255)] + [b"\x00/", b"\xfe/t"]
        for m in msgs:
            pub.send(m)
        pub.send(b"\xffend")
        assert _collect(zmq, sub) == [bytes([b]) + b"/t!" for b in range(250, 255)] + [b"\xfe/t"]
    finally:
        sub.close()
        pub.close()


def test_same_topic_twice_then_one_unsubscribe_keeps_it(zmq, ctx):
    pub, addr = _pub(zmq, ctx)
    sub = _sub(zmq, ctx, addr, [b"x", b"x", b"\xff"])
    try:
        assert sub.getsockopt(zmq.TOPICS_COUNT) == 2
        _sync(zmq, pub, [sub])
        sub.setsockopt(zmq.UNSUBSCRIBE, b"x")
        assert sub.getsockopt(zmq.TOPICS_COUNT) == 2
        time.sleep(SETTLE_S)
        pub.send(b"x1")
        pub.send(b"\xffend")
        assert _collect(zmq, sub) == [b"x1"]
        sub.setsockopt(zmq.UNSUBSCRIBE, b"x")
        assert sub.getsockopt(zmq.TOPICS_COUNT) == 1
        time.sleep(SETTLE_S)
        pub.send(b"x2")
        pub.send(b"\xffend")
        assert _collect(zmq, sub) == []
    finally:
        sub.close()
        pub.close()


def test_xsub_subscribing_twice_then_cancelling_once_keeps_the_xpub_delivering(zmq, ctx):
    xpub, addr = _pub(zmq, ctx, zmq.XPUB)
    xsub = _sub(zmq, ctx, addr, [], zmq.XSUB)
    try:
        xsub.send(b"\x01x")
        xsub.send(b"\x01x")
        xsub.send(b"\x00x")  # the XSUB still holds one: this cancel stays home
        xsub.send(b"\x01\xff")
        assert xsub.getsockopt(zmq.TOPICS_COUNT) == 2
        notes = []
        while len(notes) < 2:
            notes.append(xpub.recv())
        assert notes == [b"\x01x", b"\x01\xff"]
        assert _drain_notes(zmq, xpub) == []
        xpub.send(b"x1")
        xpub.send(b"\xffend")
        assert _collect(zmq, xsub) == [b"x1"]
        xsub.send(b"\x00x")
        assert xpub.recv() == b"\x00x"
        assert _topics(zmq, xpub) == 1
        xpub.send(b"x2")
        xpub.send(b"\xffend")
        assert _collect(zmq, xsub) == []
    finally:
        xsub.close()
        xpub.close()


def test_unsubscribing_what_was_never_subscribed_changes_nothing(zmq, ctx):
    xpub, addr = _pub(zmq, ctx, zmq.XPUB)
    sub = _sub(zmq, ctx, addr, [b"ab", b"\xff"])
    xsub = _sub(zmq, ctx, addr, [], zmq.XSUB)
    try:
        sub.setsockopt(zmq.UNSUBSCRIBE, b"never")
        sub.setsockopt(zmq.UNSUBSCRIBE, b"a")  # a prefix of a subscription is not one
        sub.setsockopt(zmq.UNSUBSCRIBE, b"abc")
        assert sub.getsockopt(zmq.TOPICS_COUNT) == 2
        xsub.send(b"\x00ab")  # this XSUB never subscribed: its cancel does not leave it
        xsub.send(b"\x01\xff")
        got = set()
        while len(got) < 2:
            got.add(xpub.recv())
        assert got == {b"\x01ab", b"\x01\xff"}
        assert _drain_notes(zmq, xpub) == []
        assert _topics(zmq, xpub) == 2
        xpub.send(b"abc")
        xpub.send(b"\xffend")
        assert _collect(zmq, sub) == [b"abc"]
        assert _collect(zmq, xsub) == []
    finally:
        sub.close()
        xsub.close()
        xpub.close()


def test_disconnect_releases_subscriptions_and_xpub_reports_the_last_ones(zmq, ctx):
    xpub, addr = _pub(zmq, ctx, zmq.XPUB)
    s1 = _sub(zmq, ctx, addr, [b"a", b"b", b"bc"])
    s2 = _sub(zmq, ctx, addr, [b"a", b"z"])
    try:
        got = set()
        deadline = time.monotonic() + 5
        while len(got) < 4:
            assert time.monotonic() < deadline
            got.add(xpub.recv())
        assert got == {b"\x01a", b"\x01b", b"\x01bc", b"\x01z"}
        assert _topics(zmq, xpub) == 4
        s1.close()
        notes = set()
        deadline = time.monotonic() + 5
        while len(notes) < 2:
            assert time.monotonic() < deadline
            notes.add(xpub.recv())
        assert notes == {b"\x00b", b"\x00bc"}  # "a" is still wanted by s2
        assert _drain_notes(zmq, xpub) == []
        if _counts_departures(zmq):
            assert _topics(zmq, xpub) == 2
        s2.close()
        notes = set()
        deadline = time.monotonic() + 5
        while len(notes) < 2:
            assert time.monotonic() < deadline
            notes.add(xpub.recv())
        assert notes == {b"\x00a", b"\x00z"}
        if _counts_departures(zmq):
            assert _topics(zmq, xpub) == 0
        # and the topics are free again: a new subscriber is told about as new
        s3 = _sub(zmq, ctx, addr, [b"bc"])
        assert xpub.recv() == b"\x01bc"
        s3.close()
    finally:
        xpub.close()


def test_pub_forgets_a_departed_subscriber(zmq, ctx):
    pub, addr = _pub(zmq, ctx)
    s1 = _sub(zmq, ctx, addr, [b"t1", b"shared", b"\xff"])
    s2 = _sub(zmq, ctx, addr, [b"t2", b"shared", b"\xff"])
    try:
        _sync(zmq, pub, [s1, s2])
        assert _topics(zmq, pub) == 4
        s1.close()
        deadline = time.monotonic() + 5
        while _counts_departures(zmq) and _topics(zmq, pub) != 3:  # t1 went, "shared" stays
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(SETTLE_S)
        for m in (b"t1", b"t2", b"shared"):
            pub.send(m)
        pub.send(b"\xffend")
        assert _collect(zmq, s2) == [b"t2", b"shared"]
        s2.close()
        deadline = time.monotonic() + 5
        while _counts_departures(zmq) and _topics(zmq, pub) != 0:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        pub.close()


@pytest.mark.parametrize("where", ["pub", "xpub"])
def test_invert_matching_with_overlapping_prefixes(zmq, ctx, where):
    kind = zmq.PUB if where == "pub" else zmq.XPUB
    pub = ctx.socket(kind)
    pub.setsockopt(zmq.LINGER, 0)
    pub.setsockopt(zmq.INVERT_MATCHING, 1)
    pub.bind("tcp://127.0.0.1:*")
    addr = pub.getsockopt(zmq.LAST_ENDPOINT).decode()
    plans = [[b"a"], [b"ab"], [b"a", b"abc"], [b"b"], [b""]]
    subs = []
    for p in plans:
        s = ctx.socket(zmq.SUB)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVTIMEO, 5000)
        s.setsockopt(zmq.INVERT_MATCHING, 1)  # the SUB keeps what does not match, too
        for t in p:
            s.setsockopt(zmq.SUBSCRIBE, t)
        s.connect(addr)
        subs.append(s)
    try:
        # no marker can reach a subscriber on b"" (it matches everything, so nothing goes to
        # it): wait until the publisher counts every subscription, then a little more
        deadline = time.monotonic() + 5
        while _topics(zmq, pub) < 5:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(SETTLE_S)
        msgs = [b"a", b"ab", b"abc", b"abcd", b"b", b"c", b"ac"]
        for m in msgs:
            pub.send(m)
        pub.send(b"zend")
        for p, s in zip(plans, subs):
            want = [m for m in msgs + [b"zend"] if not any(m.startswith(t) for t in p)]
            got = []
            s.setsockopt(zmq.RCVTIMEO, 1000 if want else 300)
            for _ in want:
                got.append(s.recv())
            assert got == want, p
            s.setsockopt(zmq.RCVTIMEO, 100)
            with pytest.raises(zmq.Again):
                s.recv()
    finally:
        for s in subs:
            s.close()
        pub.close()


def _xsub(zmq, ctx, addr):
    x = ctx.socket(zmq.XSUB)
    x.setsockopt(zmq.LINGER, 0)
    x.connect(addr)
    return x


@pytest.mark.parametrize("mode", ["plain", "verbose", "verboser"])
def test_xpub_verbose_and_verboser_notifications(zmq, ctx, mode):
    xpub, addr = _pub(zmq, ctx, zmq.XPUB)
    if mode == "verbose":
        xpub.setsockopt(zmq.XPUB_VERBOSE, 1)
    if mode == "verboser":
        xpub.setsockopt(zmq.XPUB_VERBOSER, 1)
    x1, x2 = _xsub(zmq, ctx, addr), _xsub(zmq, ctx, addr)
    try:
        time.sleep(SETTLE_S)

        def step(sock, msg):
            sock.send(msg)
            time.sleep(0.1)
            return _drain_notes(zmq, xpub, 200)

        seen = [
            step(x1, b"\x01a"),  # first subscriber of "a"
            step(x2, b"\x01a"),  # second subscriber of "a"
            step(x2, b"\x01ab"),  # "ab" overlaps "a": a topic of its own
            step(x1, b"\x00a"),  # one of two leaves
            step(x2, b"\x00a"),  # the last one leaves
            step(x2, b"\x00ab"),
        ]
        sub_all = mode != "plain"  # VERBOSE and VERBOSER pass every subscribe
        unsub_all = mode == "verboser"  # VERBOSER also every unsubscribe
        assert seen == [
            [b"\x01a"],
            [b"\x01a"] if sub_all else [],
            [b"\x01ab"],
            [b"\x00a"] if unsub_all else [],
            [b"\x00a"],
            [b"\x00ab"],
        ]
    finally:
        x1.close()
        x2.close()
        xpub.close()


def test_resubscribing_after_a_full_unsubscribe_is_new_again(zmq, ctx):
    xpub, addr = _pub(zmq, ctx, zmq.XPUB)
    x = _xsub(zmq, ctx, addr)
    try:
        time.sleep(SETTLE_S)
        for _ in range(3):
            x.send(b"\x01abc")
            assert xpub.recv() == b"\x01abc"
            x.send(b"\x01ab")
            assert xpub.recv() == b"\x01ab"
            assert _topics(zmq, xpub) == 2
            x.send(b"\x00abc")
            assert xpub.recv() == b"\x00abc"
            x.send(b"\x00ab")
            assert xpub.recv() == b"\x00ab"
            assert _topics(zmq, xpub) == 0
    finally:
        x.close()
        xpub.close()


def test_long_and_binary_subscriptions(zmq, ctx):
    pub, addr = _pub(zmq, ctx)
    long_t = bytes(range(256)) * 8  # 2 KiB, every byte value
    topics = [long_t, long_t[:100], long_t[:100] + b"\x00", b"\x00", b"\x00\x00\x01"]
    subs = [_sub(zmq, ctx, addr, [t, b"\xff\xfe"]) for t in topics]
    try:
        _sync(zmq, pub, subs, b"\xff\xfesync")
        msgs = [long_t + b"tail", long_t[:101], long_t[:100] + b"\x00z", long_t[:99], b"\x00",
                b"\x00\x00\x01\x02", b"\x00\x00"]
        for m in msgs:
            pub.send(m)
        pub.send(b"\xff\xfeend")
        for t, s in zip(topics, subs):
            assert _collect(zmq, s, b"\xff\xfeend") == [m for m in msgs if m.startswith(t)], t[:4]
    finally:
        for s in subs:
            s.close()
        pub.close()
