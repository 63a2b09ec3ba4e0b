"""Writes the seed corpus of the fuzz targets: fuzz/corpus/<target>/<name>, a few valid and
a few broken inputs per target, so that a short run starts from the interesting paths (a
valid greeting, a READY, a whole CURVE handshake...) instead of having to find them.

    python3 fuzz/make_corpus.py    (rewrites fuzz/corpus; the files are committed)
"""
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def greeting(mechanism=b"NULL", major=3, minor=1, as_server=0):
    g = b"\xff" + b"\x00" * 7 + b"\x01\x7f" + bytes([major, minor])
    return g + mechanism.ljust(20, b"\x00") + bytes([as_server]) + b"\x00" * 31


def frame(body, more=False, command=False):
    flags = (1 if more else 0) | (4 if command else 0)
    if len(body) > 255:
        return bytes([flags | 2]) + struct.pack(">Q", len(body)) + body
    return bytes([flags, len(body)]) + body


def prop(name, value):
    return bytes([len(name)]) + name + struct.pack(">I", len(value)) + value


def command(name, body=b""):
    return bytes([len(name)]) + name + body


READY = command(b"READY", prop(b"Socket-Type", b"DEALER") + prop(b"Identity", b"peer-1"))

SEEDS = {
    "greeting": {
        "null": greeting(),
        "plain_server": greeting(b"PLAIN", as_server=1),
        "curve": greeting(b"CURVE"),
        "zmtp30": greeting(minor=0),
        "zmtp20": greeting(major=1),
        "zmtp10": b"\x01\x00",
        "signature_only": greeting()[:11],
        "long_mechanism": greeting(b"X" * 20),
    },
    "frames": {
        "ready_then_data": frame(READY, command=True) + frame(b"a", more=True) + frame(b"bc"),
        "ping_pong": frame(command(b"PING", b"\x00\x0a" + b"ctx"), command=True)
        + frame(command(b"PONG", b"ctx"), command=True),
        "subscribe_cancel": frame(command(b"SUBSCRIBE", b"topic"), command=True)
        + frame(command(b"CANCEL", b"topic"), command=True),
        "long_frame": frame(b"L" * 300) + frame(b""),
        "huge_size": b"\x02" + struct.pack(">Q", 2**63 + 5) + b"xyz",
        "long_header_small_size": b"\x02" + struct.pack(">Q", 3) + b"abc",
        "reserved_flags": b"\xf8\x01z",
    },
    "commands": {
        "ready": READY,
        "ready_all_types": command(b"READY", b"".join(prop(b"Socket-Type", t) for t in (
            b"PAIR", b"PUB", b"SUB", b"REQ", b"REP", b"DEALER", b"ROUTER", b"PULL", b"PUSH",
            b"XPUB", b"XSUB", b"STREAM"))),
        "initiate": command(b"INITIATE", prop(b"Socket-Type", b"REQ") + prop(b"X-App", b"v")),
        "ready_user_id": command(b"READY", prop(b"User-Id", b"admin") + prop(b"Identity", b"")),
        "ready_truncated": command(b"READY", prop(b"Socket-Type", b"PUSH")[:-2]),
        "ready_long_value": command(b"READY", b"\x0bSocket-Type\xff\xff\xff\xffPUSH"),
        "error_400": command(b"ERROR", b"\x03400"),
        "error_text": command(b"ERROR", b"\x0bno such key"),
        "ping": command(b"PING", b"\x01\x00" + b"c" * 20),
        "empty_name": b"\x00",
        "name_too_long": b"\x09READY",
    },
    "plain": {
        "hello": b"\x05admin\x06secret",
        "hello_empty": b"\x00\x00",
        "hello_trailing": b"\x01u\x01pX",
        "hello_short": b"\x05adm",
        "error_300": b"\x03300",
        "error_599": b"\x03599",
        "long_user": b"\xff" + b"u" * 255 + b"\xff" + b"p" * 255,
    },
    "socks": {
        # first byte: bit 0 set when user/password was offered
        "no_auth_ipv4": b"\x00" + b"\x05\x00" + b"\x05\x00\x00\x01\x7f\x00\x00\x01\x1f\x90",
        "auth_name": b"\x01" + b"\x05\x02" + b"\x01\x00"
        + b"\x05\x00\x00\x03\x09localhost\x1f\x90",
        "ipv6": b"\x00" + b"\x05\x00" + b"\x05\x00\x00\x04" + b"\x00" * 15 + b"\x01\x1f\x90",
        "auth_refused": b"\x01" + b"\x05\x02" + b"\x01\x01",
        "no_acceptable_method": b"\x00\x05\xff",
        "connect_refused": b"\x00" + b"\x05\x00" + b"\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00",
        "bad_address_type": b"\x00" + b"\x05\x00" + b"\x05\x00\x00\x07\x00",
        "trailing_bytes": b"\x00" + b"\x05\x00" + b"\x05\x00\x00\x01\x7f\x00\x00\x01\x1f\x90zz",
    },
    "curve": {
        # first byte % 7: 0-3 raw HELLO/WELCOME/INITIATE/READY, 4 altered genuine command,
        # 5 a message script, 6 metadata carried in INITIATE and READY (see fuzz_curve.c)
        "raw_hello": b"\x00" + command(b"HELLO", b"\x01\x00" + b"\x00" * 72 + b"K" * 32
                                       + b"\x00" * 7 + b"\x01" + b"B" * 80),
        "raw_welcome": b"\x01" + command(b"WELCOME", b"N" * 16 + b"B" * 144),
        "raw_initiate": b"\x02" + command(b"INITIATE", b"C" * 96 + b"\x00" * 7 + b"\x02"
                                          + b"B" * 144),
        "raw_ready": b"\x03" + command(b"READY", b"\x00" * 7 + b"\x02" + b"B" * 16),
        "altered_hello_padding": b"\x04\x00\x00\x20\x01",
        "altered_initiate": b"\x04\x02\x00\x70\x40" + prop(b"Socket-Type", b"DEALER"),
        "altered_ready": b"\x04\x03\x00\x10\x80",
        "messages": b"\x05" + b"\x01" + b"\x00\x05hello" + b"\x05\x03abc" + b"\x06\x00"
        + b"\x02\x04ping" + b"\x08\x02hi\x07",
        "messages_raw": b"\x05" + b"\x00" + b"\x10\x30" + command(b"MESSAGE", b"\x00" * 8 + b"B" * 32),
        "messages_with_meta": b"\x05" + bytes([1 + len(READY) - 6]) + READY[6:] + b"\x00\x01x",
        "metadata": b"\x06" + prop(b"Socket-Type", b"ROUTER") + prop(b"User-Id", b"u"),
        "metadata_broken": b"\x06" + b"\x0bSocket-Type\x00\x00\x01",
    },
    "session": {
        # first byte % 8 picks the socket of fuzz_session.c: PULL, ROUTER, XPUB, SUB,
        # DEALER (MAXMSGSIZE 300), PULL (PLAIN server), REP, PAIR; then the peer's whole stream
        "push_to_pull": b"\x00" + greeting() + frame(command(b"READY", prop(b"Socket-Type", b"PUSH")), command=True)
        + frame(b"one", more=True) + frame(b"two") + frame(b"L" * 9000) + frame(b"tail"),
        "dealer_to_router": b"\x01" + greeting() + frame(command(b"READY", prop(b"Socket-Type", b"DEALER")
                                                                      + prop(b"Identity", b"me")), command=True)
        + frame(b"hello") + frame(command(b"PING", b"\x00\x01hb"), command=True),
        "sub_to_xpub": b"\x02" + greeting() + frame(command(b"READY", prop(b"Socket-Type", b"SUB")), command=True)
        + frame(command(b"SUBSCRIBE", b"topic"), command=True) + frame(b"\x01abc") + frame(b"\x00abc")
        + frame(command(b"CANCEL", b"topic"), command=True),
        "pub_to_sub_zmtp30": b"\x03" + greeting(minor=0) + frame(command(b"READY", prop(b"Socket-Type", b"PUB")), command=True)
        + frame(b"news"),
        "too_big_for_dealer": b"\x04" + greeting() + frame(command(b"READY", prop(b"Socket-Type", b"DEALER")), command=True)
        + frame(b"s" * 200) + frame(b"B" * 400),
        "plain_hello": b"\x05" + greeting(b"PLAIN", as_server=0) + frame(command(b"HELLO", b"\x05admin\x06secret"), command=True),
        "req_to_rep": b"\x06" + greeting() + frame(command(b"READY", prop(b"Socket-Type", b"REQ")), command=True)
        + frame(b"", more=True) + frame(b"question"),
        "pair_wrong_type": b"\x07" + greeting() + frame(command(b"READY", prop(b"Socket-Type", b"PUSH")), command=True),
        "data_before_ready": b"\x00" + greeting() + frame(b"early"),
        "huge_frame_header": b"\x00" + greeting() + frame(command(b"READY", prop(b"Socket-Type", b"PUSH")), command=True)
        + b"\x02" + struct.pack(">Q", 2**62) + b"x" * 100,
    },
}


def main():
    root = os.path.join(HERE, "corpus")
    shutil.rmtree(root, ignore_errors=True)
    for target, seeds in SEEDS.items():
        os.makedirs(os.path.join(root, target))
        for name, data in seeds.items():
            with open(os.path.join(root, target, name), "wb") as f:
                f.write(data)
    print(f"{sum(map(len, SEEDS.values()))} seeds for {len(SEEDS)} targets in {root}")


if __name__ == "__main__":
    main()
