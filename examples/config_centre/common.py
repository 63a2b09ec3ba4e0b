"""What the configuration centre's server and clients share: endpoints, messages, CURVE keys.

Three sockets on the server, three endpoints:
  snapshot  ROUTER  a client's DEALER asks [SNAPSHOT, nonce] and gets
                    [SNAPSHOT, nonce, seq, key1, value1, key2, value2, ...]: the whole
                    configuration as of update number seq, in one message
  updates   PUB     [UPD, seq, key, value] for every change (an empty value deletes the key)
                    and [HB, seq] every heartbeat interval
  collect   PULL    a client's PUSH sends [key, value]; the server numbers it and publishes it
"""

import os
import sys

import zmqfast as zmq

SNAPSHOT, UPDATE, HEARTBEAT = b"SNAPSHOT", b"UPD", b"HB"


def endpoints(base):
    """tcp://host:P -> P, P+1, P+2; any other endpoint gets suffixes (ipc:///tmp/cc-snapshot ...)."""
    names = ("snapshot", "updates", "collect")
    if base.startswith("tcp://"):
        host, port = base.rsplit(":", 1)
        return {name: f"{host}:{int(port) + i}" for i, name in enumerate(names)}
    return {name: f"{base}-{name}" for name in names}


def say(line):
    """One write per line: several processes may share one terminal or pipe."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def curve_server(sockets, keydir):
    """Make every socket a CURVE server with the key pair kept in keydir (made on first use).

    Clients need only server.public; server.secret stays readable by its owner alone.
    """
    os.makedirs(keydir, exist_ok=True)
    public_path, secret_path = os.path.join(keydir, "server.public"), os.path.join(keydir, "server.secret")
    if not os.path.exists(secret_path):
        public, secret = zmq.curve_keypair()
        fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secret)
        with open(public_path, "wb") as f:
            f.write(public)
    with open(secret_path, "rb") as f:
        secret = f.read().strip()
    for s in sockets:
        s.curve_server = True
        s.curve_secretkey = secret
        s.curve_publickey = zmq.curve_public(secret)


def curve_client(sockets, keydir):
    """Give every socket a fresh client key pair and the server's public key from keydir."""
    with open(os.path.join(keydir, "server.public"), "rb") as f:
        server_public = f.read().strip()
    public, secret = zmq.curve_keypair()
    for s in sockets:
        s.curve_serverkey = server_public
        s.curve_publickey = public
        s.curve_secretkey = secret
