"""zmqfast.ssh: tunnels through the ssh command (OpenSSH) and through paramiko.

The OpenSSH tests put a stand-in ``ssh`` first on PATH: it records its
arguments (and what SSH_ASKPASS answers) and, like ``ssh -f -L``, binds the local port, goes to
the background once it listens, and forwards connections itself, so a real zmq REQ/REP goes
through the tunnel. The paramiko tests use a mock transport whose channels are plain TCP
connections to the destination. When an OpenSSH server is installed, two more tests run both
kinds of tunnel through a private sshd started for them."""

import getpass
import importlib
import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import types

import pytest

FAKE_SSH = textwrap.dedent("""\
    import json, os, select, socket, subprocess, sys, threading, time
    args = sys.argv[1:]
    log = os.environ["FAKE_SSH_LOG"]
    askpass = None
    if os.environ.get("SSH_ASKPASS") and os.environ.get("SSH_ASKPASS_REQUIRE") == "force":
        askpass = subprocess.run([os.environ["SSH_ASKPASS"]], capture_output=True,
                                 text=True).stdout.rstrip("\\n")
    with open(log, "a") as f:
        f.write(json.dumps({"argv": args, "askpass": askpass}) + "\\n")
    if "-O" in args:
        master = os.environ.get("FAKE_SSH_MASTER")
        if not master:
            sys.stderr.write("No ControlPath specified for \\"-O\\" command\\n")
            sys.exit(255)
        if args[args.index("-O") + 1] == "check":
            sys.stderr.write(f"Master running (pid={master})\\r\\n")
        sys.exit(0)
    if "BatchMode=yes" in args:
        sys.exit(0 if os.environ.get("FAKE_SSH_KEYS") else 255)
    want = os.environ.get("FAKE_SSH_PASSWORD")
    if want is not None and askpass != want:
        sys.stderr.write("Permission denied (password).\\n")
        sys.exit(255)
    lhost, lport, rhost, rport = args[args.index("-L") + 1].split(":")
    idle = float(args[args.index("sleep") + 1])
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((lhost, int(lport)))
    srv.listen(8)
    if os.fork():
        os._exit(0)  # -f: the foreground ssh returns once the forward is in place
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)  # as ssh -f (daemon()): let go of the terminal
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    with open(log + ".pids", "a") as f:
        f.write(f"{os.getpid()}\\n")

    def pump(a, b):
        peer = {a: b, b: a}
        try:
            while True:
                for s in select.select([a, b], [], [])[0]:
                    data = s.recv(65536)
                    if not data:
                        return
                    peer[s].sendall(data)
        except OSError:
            pass
        finally:
            a.close(); b.close()

    srv.settimeout(idle)
    while True:
        try:
            c, _ = srv.accept()
        except socket.timeout:
            os._exit(0)
        d = socket.create_connection((rhost, int(rport)))
        threading.Thread(target=pump, args=(c, d), daemon=True).start()
""")


@pytest.fixture
def tunnel(zmq):
    return importlib.import_module(zmq.__name__ + ".ssh.tunnel")


class FakeSSH:
    def __init__(self, path):
        self.log = os.path.join(path, "log")

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line) for line in f]


@pytest.fixture
def fake_ssh(tmp_path, monkeypatch):
    exe = tmp_path / "ssh"
    exe.write_text(f"#!{sys.executable}\n" + FAKE_SSH)
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_SSH_LOG", str(tmp_path / "log"))
    for var in ("FAKE_SSH_MASTER", "FAKE_SSH_KEYS", "FAKE_SSH_PASSWORD", "SSH_ASKPASS"):
        monkeypatch.delenv(var, raising=False)
    fake = FakeSSH(str(tmp_path))
    yield fake
    pids = tmp_path / "log.pids"
    if pids.exists():
        for pid in pids.read_text().split():
            try:
                os.kill(int(pid), signal.SIGTERM)
            except ProcessLookupError:
                pass


def _rep(ctx, zmq):
    rep = ctx.socket(zmq.REP)
    rep.linger = 0
    rep.rcvtimeo = rep.sndtimeo = 5000
    port = rep.bind_to_random_port("tcp://127.0.0.1")
    return rep, port


def _roundtrip(req, rep):
    req.send(b"through the tunnel")
    rep.send(rep.recv()[::-1])
    return req.recv()


def test_select_random_ports(tunnel):
    ports = tunnel.select_random_ports(4)
    assert len(set(ports)) == 4
    for p in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", p))  # free again


def test_split_server(tunnel):
    assert tunnel._split_server("alice@host:2222") == ("alice", "host", 2222)
    user, host, port = tunnel._split_server("host")
    assert (host, port) == ("host", 22) and user


@pytest.mark.zmqfast_only  # pyzmq drives ssh through pexpect, with other command lines
def test_openssh_tunnel_connection(tunnel, fake_ssh, zmq, ctx, pctx, pyzmq):
    rep, rport = _rep(pctx, pyzmq)  # a pyzmq peer behind the "server"
    req = ctx.socket(zmq.REQ)
    req.linger = 0
    req.rcvtimeo = req.sndtimeo = 5000
    pid = tunnel.tunnel_connection(req, f"tcp://127.0.0.1:{rport}", "alice@gateway:2222",
                                   keyfile="/keys/id_test", paramiko=False, timeout=5)
    assert isinstance(pid, int)
    assert _roundtrip(req, rep) == b"lennut eht hguorht"
    check, start = fake_ssh.calls()
    assert check["argv"] == ["-i", "/keys/id_test", "-p", "2222", "-O", "check", "alice@gateway"]
    lport = int(req.last_endpoint.decode().rsplit(":", 1)[1])
    assert start["argv"] == ["-i", "/keys/id_test", "-p", "2222", "-f", "-S", "none", "-o",
                             "ExitOnForwardFailure=yes", "-L",
                             f"127.0.0.1:{lport}:127.0.0.1:{rport}", "alice@gateway", "sleep", "5"]
    assert start["askpass"] is None
    req.close()
    rep.close()


@pytest.mark.zmqfast_only  # pyzmq drives ssh through pexpect, with other command lines
def test_open_tunnel_with_a_password(tunnel, fake_ssh, zmq, ctx, monkeypatch):
    monkeypatch.setenv("FAKE_SSH_PASSWORD", "s3cret 'quoted'")
    rep, rport = _rep(ctx, zmq)
    url, pid = tunnel.open_tunnel(f"tcp://127.0.0.1:{rport}", "gateway",
                                  password="s3cret 'quoted'", paramiko=False, timeout=5)
    assert url.startswith("tcp://127.0.0.1:") and isinstance(pid, int)
    req = ctx.socket(zmq.REQ)
    req.linger = 0
    req.rcvtimeo = req.sndtimeo = 5000
    req.connect(url)
    assert _roundtrip(req, rep) == b"lennut eht hguorht"
    start = fake_ssh.calls()[-1]
    assert start["askpass"] == "s3cret 'quoted'"
    assert "NumberOfPasswordPrompts=1" in start["argv"]
    with pytest.raises(RuntimeError, match="failed to start"):
        tunnel.openssh_tunnel(tunnel.select_random_ports(1)[0], rport, "gateway",
                              password="wrong", timeout=5)
    req.close()
    rep.close()


@pytest.mark.zmqfast_only  # pyzmq drives ssh through pexpect, with other command lines
def test_openssh_tunnel_through_a_control_master(tunnel, fake_ssh, monkeypatch):
    monkeypatch.setenv("FAKE_SSH_MASTER", "4242")
    registered = []
    monkeypatch.setattr(tunnel.atexit, "register", lambda *a: registered.append(a))
    assert tunnel.openssh_tunnel(6000, 7000, "bob@gw", remoteip="10.1.2.3") == 4242
    check, fwd = fake_ssh.calls()
    assert check["argv"] == ["-O", "check", "bob@gw"]
    assert fwd["argv"] == ["-O", "forward", "-L", "127.0.0.1:6000:10.1.2.3:7000", "bob@gw"]
    (stop, argv), = registered
    assert argv == ["ssh", "-O", "cancel", "-L", "127.0.0.1:6000:10.1.2.3:7000", "bob@gw"]


@pytest.mark.zmqfast_only  # pyzmq drives ssh through pexpect, with other command lines
def test_try_passwordless_openssh(tunnel, fake_ssh, monkeypatch):
    assert tunnel.try_passwordless_ssh("gw:2200", None, paramiko=False) is False
    monkeypatch.setenv("FAKE_SSH_KEYS", "1")
    assert tunnel.try_passwordless_ssh("gw:2200", "/k", paramiko=False) is True
    assert fake_ssh.calls()[-1]["argv"] == ["-i", "/k", "-p", "2200", "-o", "BatchMode=yes",
                                            "gw", "exit"]


class _MockTransport:
    """paramiko.Transport's open_channel, with TCP connections for channels."""

    def __init__(self):
        self.opened = []

    def open_channel(self, kind, dest_addr, src_addr):
        self.opened.append((kind, dest_addr))
        return socket.create_connection(dest_addr)


@pytest.mark.zmqfast_only  # _forward_server is zmqfast's (pyzmq's only serves forever)
def test_paramiko_forward_tunnel(zmq, ctx):
    forward = importlib.import_module(zmq.__name__ + ".ssh.forward")
    import threading

    rep, rport = _rep(ctx, zmq)
    transport = _MockTransport()
    server = forward._forward_server(0, "127.0.0.1", rport, transport)
    lport = server.server_address[1]
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        req = ctx.socket(zmq.REQ)
        req.linger = 0
        req.rcvtimeo = req.sndtimeo = 5000
        req.connect(f"tcp://127.0.0.1:{lport}")
        assert _roundtrip(req, rep) == b"lennut eht hguorht"
        assert transport.opened == [("direct-tcpip", ("127.0.0.1", rport))]
        req.close()
    finally:
        server.shutdown()
        server.server_close()
    rep.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # fork() with threads (3.12+)
def test_paramiko_tunnel_with_a_mock_client(tunnel, zmq, ctx, monkeypatch):
    connects = []

    class SSHClient:
        def load_host_keys(self, path):
            pass

        def load_system_host_keys(self):
            pass

        def set_missing_host_key_policy(self, policy):
            pass

        def connect(self, host, port, **kw):
            connects.append((host, port, kw.get("username")))

        def get_transport(self):
            return _MockTransport()

        def close(self):
            pass

    fake = types.SimpleNamespace(SSHClient=SSHClient, WarningPolicy=lambda: None,
                                 AuthenticationException=Exception)
    monkeypatch.setattr(tunnel, "paramiko", fake)
    # the tunnel process must inherit the mock: fork, whatever the default start method
    monkeypatch.setattr(tunnel, "Process", multiprocessing.get_context("fork").Process)
    rep, rport = _rep(ctx, zmq)
    req = ctx.socket(zmq.REQ)
    req.linger = 0
    req.rcvtimeo = req.sndtimeo = 5000
    proc = tunnel.tunnel_connection(req, f"tcp://127.0.0.1:{rport}", "carol@gw:2022",
                                    paramiko=True)
    try:
        assert proc.is_alive()
        assert connects == [("gw", 2022, "carol")]  # the passwordless check, in this process
        assert _roundtrip(req, rep) == b"lennut eht hguorht"
    finally:
        proc.terminate()
        proc.join(5)
    req.close()
    rep.close()


def test_paramiko_missing_is_an_import_error(tunnel, monkeypatch):
    monkeypatch.setattr(tunnel, "paramiko", None)
    with pytest.raises(ImportError):
        tunnel.paramiko_tunnel(1, 2, "gw")


# -- against a real sshd, when one is installed (not in CI: .ci/run does not install it) --

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)


@pytest.fixture
def sshd(monkeypatch):
    """A private sshd on a free port of 127.0.0.1 (key login for the current user only), and an
    ``ssh`` first on PATH that reads a config naming it host ``zftest``."""
    if not (SSHD and shutil.which("ssh") and shutil.which("ssh-keygen")):
        pytest.skip("no OpenSSH server here")
    d = tempfile.mkdtemp(prefix="zfsshd", dir="/tmp")
    for name in ("host", "key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{d}/{name}"],
                       check=True, timeout=30)
    shutil.copy(f"{d}/key.pub", f"{d}/authorized_keys")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with open(f"{d}/sshd_config", "w") as f:
        f.write(f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host\n"
                f"AuthorizedKeysFile {d}/authorized_keys\nPidFile {d}/sshd.pid\n"
                "StrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                "UsePAM no\nAllowTcpForwarding yes\n")
    with open(f"{d}/ssh_config", "w") as f:
        f.write(f"Host zftest\n  HostName 127.0.0.1\n  Port {port}\n  User {getpass.getuser()}\n"
                f"  IdentityFile {d}/key\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n"
                "  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n")
    os.makedirs(f"{d}/bin")
    with open(f"{d}/bin/ssh", "w") as f:
        f.write(f"#!/bin/sh\nexec {shutil.which('ssh')} -F {d}/ssh_config \"$@\"\n")
    os.chmod(f"{d}/bin/ssh", 0o755)
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", exist_ok=True)  # its privilege separation directory
    log = open(f"{d}/log", "w")
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", f"{d}/sshd_config"], stdout=log, stderr=log)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    if proc.poll() is not None:
        log.close()
        pytest.skip("sshd does not start here: " + open(f"{d}/log").read()[-300:])
    monkeypatch.setenv("PATH", f"{d}/bin{os.pathsep}{os.environ.get('PATH', '')}")
    yield types.SimpleNamespace(port=port, key=f"{d}/key", dir=d)
    proc.terminate()
    proc.wait(5)
    log.close()
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.zmqfast_only  # pyzmq's openssh path needs pexpect
def test_real_openssh_tunnel(tunnel, sshd, zmq, ctx, pctx, pyzmq):
    rep, rport = _rep(pctx, pyzmq)
    req = ctx.socket(zmq.REQ)
    req.linger = 0
    req.rcvtimeo = req.sndtimeo = 5000
    assert tunnel.try_passwordless_ssh("zftest", None, paramiko=False)
    pid = tunnel.tunnel_connection(req, f"tcp://127.0.0.1:{rport}", "zftest", timeout=3)
    assert isinstance(pid, int)
    assert _roundtrip(req, rep) == b"lennut eht hguorht"
    req.close()
    rep.close()


@pytest.mark.filterwarnings("ignore::UserWarning")  # paramiko's WarningPolicy: unknown host key
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # fork() with threads (3.12+)
def test_real_paramiko_tunnel(tunnel, sshd, zmq, ctx, monkeypatch):
    pytest.importorskip("paramiko")
    monkeypatch.setenv("PYZMQ_PARAMIKO_HOST_KEY_POLICY", "Warning")
    monkeypatch.setattr(tunnel, "Process", multiprocessing.get_context("fork").Process)
    rep, rport = _rep(ctx, zmq)
    req = ctx.socket(zmq.REQ)
    req.linger = 0
    req.rcvtimeo = req.sndtimeo = 5000
    server = f"{getpass.getuser()}@127.0.0.1:{sshd.port}"
    assert tunnel.try_passwordless_ssh(server, sshd.key, paramiko=True)
    proc = tunnel.tunnel_connection(req, f"tcp://127.0.0.1:{rport}", server, keyfile=sshd.key,
                                    paramiko=True)
    try:
        assert _roundtrip(req, rep) == b"lennut eht hguorht"
    finally:
        proc.terminate()
        proc.join(5)
    req.close()
    rep.close()
