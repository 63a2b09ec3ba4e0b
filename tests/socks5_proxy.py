"""A small SOCKS5 proxy (RFC 1928 CONNECT, RFC 1929 user/password) for the SOCKS_PROXY tests."""

import select
import socket
import struct
import threading


class Socks5Proxy:
    """Listens on 127.0.0.1; relays each CONNECT. Records what clients asked for in .requests."""

    def __init__(self, username=None, password=None):
        self.username, self.password = username, password
        self.requests = []  # (atyp, host, port) per CONNECT
        self.auth_failures = 0
        self._srv = socket.socket()
        self._srv.bind(("127.0.0.1", 0))
        self._srv.listen(16)
        self.port = self._srv.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}".encode()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def close(self):
        self._stop.set()
        self._srv.close()
        for t in self._threads:
            t.join(2)

    def _accept(self):
        while not self._stop.is_set():
            r, _, _ = select.select([self._srv], [], [], 0.05)
            if not r:
                continue
            try:
                c, _ = self._srv.accept()
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(c,), daemon=True)
            self._threads.append(t)
            t.start()

    @staticmethod
    def _exact(c, n):
        b = b""
        while len(b) < n:
            chunk = c.recv(n - len(b))
            if not chunk:
                raise ConnectionError
            b += chunk
        return b

    def _serve(self, c):
        up = None
        try:
            ver, nmethods = self._exact(c, 2)
            methods = self._exact(c, nmethods)
            want = 2 if self.username is not None else 0
            if ver != 5 or want not in methods:
                c.sendall(b"\x05\xff")
                return
            c.sendall(bytes([5, want]))
            if want == 2:
                _, ul = self._exact(c, 2)
                user = self._exact(c, ul)
                (pl,) = self._exact(c, 1)
                pw = self._exact(c, pl)
                ok = (user, pw) == (self.username, self.password)
                c.sendall(b"\x01" + (b"\x00" if ok else b"\x01"))
                if not ok:
                    self.auth_failures += 1
                    return
            ver, cmd, _, atyp = self._exact(c, 4)
            if atyp == 1:
                host = socket.inet_ntop(socket.AF_INET, self._exact(c, 4))
            elif atyp == 4:
                host = socket.inet_ntop(socket.AF_INET6, self._exact(c, 16))
            else:
                (n,) = self._exact(c, 1)
                host = self._exact(c, n).decode()
            (port,) = struct.unpack("!H", self._exact(c, 2))
            self.requests.append((atyp, host, port))
            try:
                up = socket.create_connection((host, port), timeout=2)
            except OSError:
                c.sendall(b"\x05\x05\x00\x01" + b"\0" * 6)  # connection refused
                return
            bound = up.getsockname()
            c.sendall(b"\x05\x00\x00\x01" + socket.inet_aton(bound[0]) + struct.pack("!H", bound[1]))
            self._relay(c, up)
        except (ConnectionError, OSError, ValueError):
            pass
        finally:
            c.close()
            if up:
                up.close()

    def _relay(self, a, b):
        peers = {a: b, b: a}
        while not self._stop.is_set():
            r, _, _ = select.select(list(peers), [], [], 0.05)
            for s in r:
                data = s.recv(65536)
                if not data:
                    return
                peers[s].sendall(data)
