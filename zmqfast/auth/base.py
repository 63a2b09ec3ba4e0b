"""The ZAP policy: which addresses, passwords and CURVE keys are admitted (pyzmq's
``zmq.auth.base``). Transport-agnostic: subclasses run the socket (thread.py, asyncio.py)."""

from __future__ import annotations

import inspect
import logging
import os
from typing import Any

import zmqfast as zmq
from zmqfast.utils import z85

from .certs import load_certificates

__all__ = ["Authenticator", "CURVE_ALLOW_ANY", "VERSION"]

CURVE_ALLOW_ANY = "*"
VERSION = b"1.0"
ZAP_ENDPOINT = "inproc://zeromq.zap.01"


class Authenticator:
    """The ZAP policy and the reply it sends; the ZAP socket itself is run by a subclass.

    With no policy configured, NULL peers are admitted (ZAP sees them only on sockets that set
    ``zap_domain``) and PLAIN and CURVE peers are refused. This base class binds the ZAP socket
    in ``start()`` and never reads it: read ``zap_socket`` yourself and await
    ``handle_zap_message(frames)``, or use ThreadAuthenticator / AsyncioAuthenticator.
    """

    context: zmq.Context
    encoding: str
    allow_any: bool
    credentials_providers: dict[str, Any]
    zap_socket: zmq.Socket | None
    _allowed: set[str]
    _denied: set[str]
    passwords: dict[str, dict[str, str]]
    certs: dict[str, dict[bytes, Any]]
    log: Any

    def __init__(self, context: zmq.Context | None = None, encoding: str = "utf-8",
                 log: Any = None) -> None:
        self.context = context or zmq.Context.instance()
        self.encoding = encoding
        self.allow_any = False
        self.credentials_providers = {}
        self.zap_socket = None
        self._allowed = set()
        self._denied = set()
        self.passwords = {}
        self.certs = {}
        self.log = log or logging.getLogger("zmq.auth")

    def start(self) -> None:
        """Create and bind the ZAP socket."""
        self.zap_socket = self.context.socket(zmq.REP, socket_class=zmq.Socket)
        self.zap_socket.linger = 1
        self.zap_socket.bind(ZAP_ENDPOINT)
        self.log.debug("Starting")

    def stop(self) -> None:
        """Close the ZAP socket."""
        if self.zap_socket:
            self.zap_socket.close()
        self.zap_socket = None

    def allow(self, *addresses: str) -> None:
        """Admit only these IP addresses: a NULL peer from one of them is in; a PLAIN or CURVE
        peer still has to authenticate. Cannot be combined with deny()."""
        if self._denied:
            raise ValueError("Only use allow or deny, not both")
        self.log.debug("Allowing %s", ",".join(addresses))
        self._allowed.update(addresses)

    def deny(self, *addresses: str) -> None:
        """Refuse these IP addresses; every other address goes on to authentication. Cannot be
        combined with allow()."""
        if self._allowed:
            raise ValueError("Only use a allow or deny, not both")
        self.log.debug("Denying %s", ",".join(addresses))
        self._denied.update(addresses)

    def configure_plain(self, domain: str = "*", passwords: dict[str, str] | None = None) -> None:
        """PLAIN for a ZAP domain ("*": requests that name none): ``passwords`` maps user
        names to passwords."""
        if passwords:
            self.passwords[domain] = passwords
        self.log.debug("Configure plain: %s", domain)

    def configure_curve(self, domain: str = "*", location: str | os.PathLike[str] = ".") -> None:
        """CURVE for a ZAP domain ("*": requests that name none): the client keys admitted are
        the public certificates in directory ``location`` (read now: call again after changing
        it), or any key at all with ``location=CURVE_ALLOW_ANY``."""
        self.log.debug("Configure curve: %s[%s]", domain, location)
        if location == CURVE_ALLOW_ANY:
            self.allow_any = True
            return
        self.allow_any = False
        try:
            self.certs[domain] = load_certificates(location)
        except Exception as e:  # as pyzmq: a bad directory is logged, not raised
            self.log.error("Failed to load CURVE certs from %s: %s", location, e)

    def configure_curve_callback(self, domain: str = "*", credentials_provider: Any = None) -> None:
        """Configure CURVE authentication for a given domain with an object whose
        ``callback(domain, key)`` returns (or resolves to) whether the key is admitted.

        To cover all domains, use "*".
        """
        self.allow_any = False
        if credentials_provider is None:
            self.log.error("None credentials_provider provided for domain:%s", domain)
            return
        self.credentials_providers[domain] = credentials_provider

    def curve_user_id(self, client_public_key: bytes) -> str:
        """Return the User-Id corresponding to a CURVE client's public key: by default the
        z85-encoding of the key. Override to map keys to user ids; called only on success."""
        return z85.encode(client_public_key).decode("ascii")

    def configure_gssapi(self, domain: str = "*", location: str | None = None) -> None:
        """Configure GSSAPI authentication. Not supported by zmqfast's engine: the mechanism
        is absent (``zmq.has("gssapi")`` is False), so nothing would ever be asked."""
        raise NotImplementedError("zmqfast has no GSSAPI mechanism")

    async def handle_zap_message(self, msg: list[bytes]) -> None:
        """Perform ZAP authentication of one request and send the reply on ``zap_socket``."""
        if len(msg) < 6:
            self.log.error("Invalid ZAP message, not enough frames: %r", msg)
            if len(msg) < 2:
                self.log.error("Not enough information to reply")
            else:
                self._send_zap_reply(msg[1], b"400", b"Not enough frames")
            return
        version, request_id, domain_b, address_b, identity, mechanism = msg[:6]
        credentials = msg[6:]
        domain = domain_b.decode(self.encoding, "replace")
        address = address_b.decode("utf-8", "replace")
        if version != VERSION:
            self.log.error("Invalid ZAP version: %r", msg)
            self._send_zap_reply(request_id, b"400", b"Invalid version")
            return
        self.log.debug("version: %r, request_id: %r, domain: %r, address: %r, identity: %r, "
                       "mechanism: %r", version, request_id, domain, address, identity, mechanism)

        # First the address lists: allow admits (and, for PLAIN/CURVE, lets authentication go
        # on), deny refuses; with neither, authentication alone decides.
        allowed = denied = False
        reason = b"NO ACCESS"
        if self._allowed:
            if address in self._allowed:
                allowed = True
            else:
                denied, reason = True, b"Address not allowed"
        elif self._denied:
            if address in self._denied:
                denied, reason = True, b"Address denied"
            else:
                allowed = True

        username = "anonymous"
        if not denied:
            if mechanism == b"NULL" and not allowed:
                allowed = True  # NULL: any address not denied
            elif mechanism == b"PLAIN":
                if len(credentials) != 2:
                    self.log.error("Invalid PLAIN credentials: %r", credentials)
                    self._send_zap_reply(request_id, b"400", b"Invalid credentials")
                    return
                username = credentials[0].decode(self.encoding, "replace")
                password = credentials[1].decode(self.encoding, "replace")
                allowed, reason = self._authenticate_plain(domain, username, password)
            elif mechanism == b"CURVE":
                if len(credentials) != 1:
                    self.log.error("Invalid CURVE credentials: %r", credentials)
                    self._send_zap_reply(request_id, b"400", b"Invalid credentials")
                    return
                key = credentials[0]
                allowed, reason = await self._authenticate_curve(domain, key)
                if allowed:
                    username = self.curve_user_id(key)
            elif mechanism == b"GSSAPI":
                if len(credentials) != 1:
                    self.log.error("Invalid GSSAPI credentials: %r", credentials)
                    self._send_zap_reply(request_id, b"400", b"Invalid credentials")
                    return
                username = credentials[0].decode("utf8", "replace")
                allowed, reason = self._authenticate_gssapi(domain, credentials[0])

        if allowed:
            self._send_zap_reply(request_id, b"200", b"OK", username)
        else:
            self._send_zap_reply(request_id, b"400", reason)

    def _authenticate_plain(self, domain: str, username: str, password: str) -> tuple[bool, bytes]:
        """PLAIN ZAP authentication: (allowed, reason)."""
        if not self.passwords:
            self.log.debug("DENIED (PLAIN) No passwords defined")
            return False, b"No passwords defined"
        users = self.passwords.get(domain or "*")
        if users is None:
            reason = b"Invalid domain"
        elif username not in users:
            reason = b"Invalid username"
        elif users[username] != password:
            reason = b"Invalid password"
        else:
            self.log.debug("ALLOWED (PLAIN) domain=%s username=%s", domain, username)
            return True, b""
        self.log.debug("DENIED %s", reason)
        return False, reason

    async def _authenticate_curve(self, domain: str, client_key: bytes) -> tuple[bool, bytes]:
        """CURVE ZAP authentication: (allowed, reason)."""
        if self.allow_any:
            self.log.debug("ALLOWED (CURVE allow any client)")
            return True, b"OK"
        if self.credentials_providers:
            domain = domain or "*"  # as pyzmq: the callback hears "*" for a request naming none
            provider = self.credentials_providers.get(domain)
            if provider is None:
                return False, b"Unknown domain"
            z85_key = z85.encode(client_key)
            ok = provider.callback(domain, z85_key)
            if inspect.isawaitable(ok):
                ok = await ok
            if ok:
                self.log.debug("ALLOWED (CURVE auth_callback) domain=%s client_key=%s", domain, z85_key)
                return True, b"OK"
            self.log.debug("DENIED (CURVE auth_callback) domain=%s client_key=%s", domain, z85_key)
            return False, b"Unknown key"
        certs = self.certs.get(domain or "*")
        if certs is None:
            self.log.debug("CURVE DENIED (unknown domain %s)", domain)
            return False, b"Unknown domain"
        z85_key = z85.encode(client_key)
        if certs.get(z85_key):
            self.log.debug("ALLOWED (CURVE) domain=%s client_key=%s", domain, z85_key)
            return True, b"OK"
        self.log.debug("DENIED (CURVE) domain=%s client_key=%s", domain, z85_key)
        return False, b"Unknown key"

    def _authenticate_gssapi(self, domain: str, principal: bytes) -> tuple[bool, bytes]:
        """GSSAPI: nothing to check here (the mechanism itself authenticated the principal)."""
        self.log.debug("ALLOWED (GSSAPI) domain=%s principal=%s", domain, principal)
        return True, b"OK"

    def _send_zap_reply(self, request_id: bytes, status_code: bytes, status_text: bytes,
                        user_id: str = "anonymous") -> None:
        """Send a ZAP reply: the user id only with an approval."""
        user = b""
        if status_code == b"200":
            user = user_id if isinstance(user_id, bytes) else user_id.encode(self.encoding, "replace")
        self.log.debug("ZAP reply code=%s text=%s", status_code, status_text)
        assert self.zap_socket is not None
        self.zap_socket.send_multipart([VERSION, request_id, status_code, status_text, user, b""])
