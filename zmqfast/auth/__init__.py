"""ZAP authentication (RFC 27), as pyzmq's ``zmq.auth``.

An authenticator binds a REP socket at ``inproc://zeromq.zap.01`` in its context; the engine asks
it about every peer that connects to a socket of that context with PLAIN (always), CURVE (when
the engine has it) or NULL (only when the socket sets ``zap_domain``). Run one with
:class:`zmqfast.auth.thread.ThreadAuthenticator` or
:class:`zmqfast.auth.asyncio.AsyncioAuthenticator`.
"""

from .base import CURVE_ALLOW_ANY, Authenticator
from .certs import create_certificates, load_certificate, load_certificates

__all__ = ["Authenticator", "CURVE_ALLOW_ANY", "create_certificates", "load_certificate",
           "load_certificates"]
