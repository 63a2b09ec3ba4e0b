"""SSH tunnels for zmq connections, through the ``ssh`` command (OpenSSH) or paramiko.

``tunnel_connection(socket, "tcp://10.0.0.5:5555", "user@gateway")`` connects socket to an
address reachable only from the ssh server: it picks a free local port, opens a tunnel from
127.0.0.1:<that port> to 10.0.0.5:5555 as seen from the server (``ssh -L``), and connects the
socket to the local end. A tunnel closes by itself once no connection has used it for timeout
seconds (after the first, which must come within timeout seconds).

OpenSSH is the default on POSIX, paramiko on Windows (``paramiko=True`` picks it anywhere).
pyzmq drives ``ssh`` through pexpect to answer password prompts; zmqfast runs it directly: with
password=None ssh asks on the terminal as usual (or uses keys, an agent, or ~/.ssh/config), and
a given password is handed over through SSH_ASKPASS (OpenSSH 8.4 or later).
"""

from __future__ import annotations

import atexit
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import warnings
from getpass import getpass, getuser
from multiprocessing import Process
from typing import Any

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import paramiko
except ImportError:
    paramiko = None  # type: ignore[assignment]

    class SSHException(Exception):  # type: ignore[no-redef]
        """An ssh failure (paramiko's SSHException when paramiko is installed)."""
else:
    SSHException = paramiko.ssh_exception.SSHException  # type: ignore[misc]

from .forward import forward_tunnel

__all__ = ["tunnel_connection", "ssh_tunnel", "openssh_tunnel", "paramiko_tunnel",
           "try_passwordless_ssh"]

# the ssh command; tests point it at a stand-in
SSH = "ssh"


class MaxRetryExceeded(Exception):
    """Gave up after several attempts."""


def select_random_ports(n: int) -> list[int]:
    """n distinct free local tcp ports (each bound once to port 0 to learn it)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("", 0))
            socks.append(s)  # held until all are picked: n distinct ports
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _split_server(server: str) -> tuple[str, str, int]:
    """user@host:port -> (user, host, port), with the local user name and port 22 by default."""
    user, at, rest = server.rpartition("@")
    host, colon, port = rest.partition(":")
    return (user if at else getuser()), host, (int(port) if colon else 22)


def _ssh_argv(server: str, keyfile: str | None) -> tuple[list[str], str]:
    """The ssh command's leading arguments for server (user@host:port), and the destination
    to pass it (user@host)."""
    argv = [SSH]
    if keyfile:
        argv += ["-i", keyfile]
    if ":" in server:
        server, port = server.split(":", 1)
        argv += ["-p", port]
    return argv, server


def _ssh_env(password: str | None, tmpdir: str) -> dict[str, str]:
    """The environment for ssh: answering with password through SSH_ASKPASS when given,
    otherwise without SSH_ASKPASS (so ssh asks on the terminal, not in a window)."""
    env = os.environ.copy()
    env.pop("SSH_ASKPASS", None)
    if password is None:
        return env
    script = os.path.join(tmpdir, "askpass")
    with open(os.path.join(tmpdir, "pw"), "w") as f:
        os.chmod(f.name, stat.S_IRUSR | stat.S_IWUSR)
        f.write(password + "\n")
    with open(script, "w") as f:
        f.write(f"#!/bin/sh\nexec cat '{tmpdir}/pw'\n")
    os.chmod(script, stat.S_IRWXU)
    env["SSH_ASKPASS"] = script
    env["SSH_ASKPASS_REQUIRE"] = "force"
    env.setdefault("DISPLAY", ":0")  # older ssh only uses SSH_ASKPASS with a DISPLAY
    return env


def _run_ssh(argv: list[str], password: str | None = None, timeout: float | None = None
             ) -> tuple[int, str]:
    """Run ssh; return (exit status, stderr). A background ssh (-f) may keep running: only
    the foreground one is waited for."""
    with tempfile.TemporaryDirectory(prefix="zmqfast-ssh-") as tmp:
        env = _ssh_env(password, tmp)
        if password is not None:
            argv = argv[:1] + ["-o", "NumberOfPasswordPrompts=1"] + argv[1:]
        # stderr goes to a file, not a pipe: a backgrounded ssh keeps it open for its lifetime
        with tempfile.TemporaryFile() as err:
            stdin = subprocess.DEVNULL if password is not None else None
            try:
                rc = subprocess.run(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=err,
                                    env=env, timeout=timeout).returncode
            except subprocess.TimeoutExpired:
                rc = 255
                err.write(b"ssh timed out")
            err.seek(0)
            return rc, err.read().decode(errors="replace")


# -----------------------------------------------------------------------------
# Key-based login, tried without a password
# -----------------------------------------------------------------------------


def try_passwordless_ssh(server: str, keyfile: str | None, paramiko: bool | None = None) -> bool:
    """Whether key-based login to server works without asking for anything, so that a
    password need be asked for once however many tunnels go to that server. paramiko=None
    picks paramiko on Windows, the ssh command elsewhere."""
    if paramiko is None:
        paramiko = sys.platform == "win32"
    return (_try_passwordless_paramiko if paramiko else _try_passwordless_openssh)(server, keyfile)


def _try_passwordless_openssh(server: str, keyfile: str | None) -> bool:
    """Try passwordless login with the ssh command (BatchMode: it never asks)."""
    argv, dest = _ssh_argv(server, keyfile)
    rc, _ = _run_ssh(argv + ["-o", "BatchMode=yes", dest, "exit"], timeout=60)
    return rc == 0


def _host_key_policy(default: str | None) -> Any:
    name = os.environ.get("PYZMQ_PARAMIKO_HOST_KEY_POLICY", default)
    return getattr(paramiko, f"{name}Policy")() if name else None


def _try_passwordless_paramiko(server: str, keyfile: str | None) -> bool:
    """The same check through a paramiko client."""
    if paramiko is None:
        extra = ("on Windows, ssh tunnels need it" if sys.platform == "win32"
                 else "pass paramiko=False to use the ssh command")
        raise ImportError("paramiko is not installed: " + extra)
    username, host, port = _split_server(server)
    client = paramiko.SSHClient()
    known_hosts = os.path.expanduser("~/.ssh/known_hosts")
    if os.path.exists(known_hosts):  # (loading a missing file breaks AutoAddPolicy's save)
        client.load_host_keys(known_hosts)
    policy = _host_key_policy(None)
    if policy is not None:
        client.set_missing_host_key_policy(policy)
    try:
        client.connect(host, port, username=username, key_filename=keyfile, look_for_keys=True)
    except paramiko.AuthenticationException:
        return False
    client.close()
    return True


# -----------------------------------------------------------------------------
# Tunnels
# -----------------------------------------------------------------------------


def tunnel_connection(socket: Any, addr: str, server: str, keyfile: str | None = None,
                      password: str | None = None, paramiko: bool | None = None,
                      timeout: int = 60) -> Any:
    """socket.connect(addr) for an addr only server can reach: forward a free local port to
    it through ssh (see open_tunnel), then connect the socket to that port.

    Returns the tunnel: the ssh process id (OpenSSH) or the multiprocessing.Process (paramiko).
    """
    new_url, tunnel = open_tunnel(addr, server, keyfile=keyfile, password=password,
                                  paramiko=paramiko, timeout=timeout)
    socket.connect(new_url)
    return tunnel


def open_tunnel(addr: str, server: str, keyfile: str | None = None, password: str | None = None,
                paramiko: bool | None = None, timeout: int = 60) -> tuple[str, Any]:
    """Forward a free local port to addr (a tcp:// url) through server.

    Returns ``(url, tunnel)``: the tcp:// url to connect to instead of addr, and what
    openssh_tunnel or paramiko_tunnel returned.
    """
    lport = select_random_ports(1)[0]
    _transport, where = addr.split("://", 1)
    ip, rport = where.rsplit(":", 1)
    if paramiko is None:
        paramiko = sys.platform == "win32"
    make = paramiko_tunnel if paramiko else openssh_tunnel
    tunnel = make(lport, int(rport), server, remoteip=ip, keyfile=keyfile, password=password,
                  timeout=timeout)
    return f"tcp://127.0.0.1:{lport}", tunnel


_master_pid = re.compile(r"\(pid=(\d+)\)")


def openssh_tunnel(lport: int, rport: int, server: str, remoteip: str = "127.0.0.1",
                   keyfile: str | None = None, password: str | None = None,
                   timeout: int = 60) -> int:
    """Forward 127.0.0.1:lport here to remoteip:rport as server sees it, with the ssh command
    (``ssh -f -L lport:remoteip:rport server``); ssh goes to the background once the forward is
    in place.

    Parameters (shared by openssh_tunnel and paramiko_tunnel)
    ----------
    lport : int
        The local port the tunnel listens on (on 127.0.0.1).
    rport : int
        The port it reaches, on remoteip as seen from server.
    server : str
        ``[user@]host[:port]`` of the ssh server.
    remoteip : str
        Where rport is, from the server's side; 127.0.0.1 means the server itself.
    keyfile : str or None
        A private key to log in with; the usual keys and ssh config apply otherwise.
    password : str or None
        The login password; with None, ssh asks for one if key login fails.
    timeout : int
        The tunnel stays up at least this long for its first use, and closes once no
        connection uses it after that.

    Returns the process id: of the ssh control master when one is running for server (the
    forward is added to it, and cancelled at exit), otherwise of the ssh command started, which
    exits once its background copy holds the tunnel (as pyzmq's returns).
    """
    argv, dest = _ssh_argv(server, keyfile)
    forward = f"127.0.0.1:{lport}:{remoteip}:{rport}"
    # an existing control master (ControlMaster/ControlPath in ~/.ssh/config) takes the forward
    rc, out = _run_ssh(argv + ["-O", "check", dest], timeout=60)
    m = _master_pid.search(out)
    if rc == 0 and m:
        rc, out = _run_ssh(argv + ["-O", "forward", "-L", forward, dest], timeout=60)
        if rc == 0:
            atexit.register(_stop_tunnel, argv + ["-O", "cancel", "-L", forward, dest])
            return int(m.group(1))
    cmd = argv + ["-f", "-S", "none", "-o", "ExitOnForwardFailure=yes", "-L", forward, dest,
                  "sleep", str(timeout)]
    with tempfile.TemporaryDirectory(prefix="zmqfast-ssh-") as tmp:
        env = _ssh_env(password, tmp)
        if password is not None:
            cmd = cmd[:1] + ["-o", "NumberOfPasswordPrompts=1"] + cmd[1:]
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err,
                                    stdin=subprocess.DEVNULL if password is not None else None)
            try:
                rc = proc.wait(timeout=max(timeout, 30))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise RuntimeError(f"tunnel {' '.join(cmd)!r} did not start") from None
            err.seek(0)
            detail = err.read().decode(errors="replace").strip()
    if rc:
        raise RuntimeError(f"tunnel {' '.join(cmd)!r} failed to start (exit status {rc})"
                           + (f": {detail}" if detail else ""))
    return proc.pid


def _stop_tunnel(argv: list[str]) -> None:
    _run_ssh(argv, timeout=10)


def paramiko_tunnel(lport: int, rport: int, server: str, remoteip: str = "127.0.0.1",
                    keyfile: str | None = None, password: str | None = None,
                    timeout: int = 60) -> Process:
    """The same forward as openssh_tunnel (parameters there), made by paramiko in a daemon
    multiprocessing.Process, for machines without the ssh command (Windows).

    Returns that Process; it forwards until terminated or until this process exits. timeout is
    accepted for pyzmq's signature and, as there, not used.
    """
    if paramiko is None:
        raise ImportError("paramiko_tunnel needs paramiko, which is not installed")
    if password is None and not _try_passwordless_paramiko(server, keyfile):
        password = getpass(f"ssh password for {server}: ")
    p = Process(target=_paramiko_tunnel, args=(lport, rport, server, remoteip),
                kwargs={"keyfile": keyfile, "password": password}, daemon=True)
    p.start()
    return p


def _paramiko_tunnel(lport: int, rport: int, server: str, remoteip: str,
                     keyfile: str | None = None, password: str | None = None) -> None:
    """The body of paramiko_tunnel's process: log in, then forward until terminated."""
    username, host, port = _split_server(server)
    client = paramiko.SSHClient()
    client.load_system_host_keys()
    client.set_missing_host_key_policy(_host_key_policy("Warning"))
    try:
        client.connect(host, port, username=username, key_filename=keyfile, look_for_keys=True,
                       password=password)
    except Exception as e:
        print(f"*** Failed to connect to {host}:{port}: {e!r}", file=sys.stderr)
        sys.exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the parent does not end the tunnel
    try:
        forward_tunnel(lport, remoteip, rport, client.get_transport())
    except KeyboardInterrupt:
        print("SIGINT: Port forwarding stopped cleanly", file=sys.stderr)
        sys.exit(0)
    except Exception as e:
        print(f"Port forwarding stopped uncleanly: {e}", file=sys.stderr)
        sys.exit(255)


ssh_tunnel = paramiko_tunnel if sys.platform == "win32" else openssh_tunnel
