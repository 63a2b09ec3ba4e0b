"""CURVE certificate files, in the layout pyzmq and czmq write (``zmq.auth.certs``):

    metadata
        name = value
    curve
        public-key = "<40 z85 characters>"
        secret-key = "<40 z85 characters>"     (only in the secret file)
"""

from __future__ import annotations

import datetime
import glob
import os
import re
from typing import Any

import zmqfast as zmq

__all__ = ["create_certificates", "load_certificate", "load_certificates"]

_BANNER = "#   ****  Generated on {0} by zmqfast  ****\n#   ZeroMQ CURVE {1} Certificate\n#   {2}\n\n"
_KEY_LINE = re.compile(r'^\s*(public|secret)-key\s*=\s*"?([^"\s]+)"?\s*$')


def _write(path: str, kind: str, note: str, public: bytes, secret: bytes | None,
           metadata: dict[Any, Any] | None) -> None:  # (str or bytes, from untyped callers)
    with open(path, "w", encoding="utf8") as f:
        f.write(_BANNER.format(datetime.datetime.now(), kind, note))
        f.write("metadata\n")
        for k, v in (metadata or {}).items():
            k = k.decode() if isinstance(k, bytes) else k
            v = v.decode() if isinstance(v, bytes) else v
            f.write(f"    {k} = {v}\n")
        f.write("curve\n")
        f.write(f'    public-key = "{public.decode("ascii")}"\n')
        if secret:
            f.write(f'    secret-key = "{secret.decode("ascii")}"\n')


def create_certificates(key_dir: str | os.PathLike[str], name: str,
                        metadata: dict[str, str] | None = None) -> tuple[str, str]:
    """Make a new CURVE key pair and write ``name.key`` (public) and ``name.key_secret`` (both
    keys) in key_dir; return the two file names."""
    public, secret = zmq.curve_keypair()
    base = os.path.join(key_dir, name)
    public_file, secret_file = f"{base}.key", f"{base}.key_secret"
    _write(public_file, "Public", "Exchange securely, or use a secure mechanism to verify the contents\n"
           "#   of this file after exchange. Store public certificates in your home\n"
           "#   directory, in the .curve subdirectory.", public, None, metadata)
    _write(secret_file, "**Secret**", "THIS FILE IS SECRET. Store it in a safe place. Do not share it.",
           public, secret, metadata)
    return public_file, secret_file


def load_certificate(filename: str | os.PathLike[str]) -> tuple[bytes, bytes | None]:
    """(public key, secret key or None) from a certificate file, as z85 bytes. ValueError when
    the file holds no public key; OSError when it is missing."""
    public = secret = None
    if not os.path.exists(filename):
        raise OSError(f"Invalid certificate file: {filename}")
    with open(filename, "rb") as f:
        for raw in f:
            m = _KEY_LINE.match(raw.decode("utf8", "replace"))
            if not m:
                continue
            value = m.group(2).encode("ascii", "replace")
            if m.group(1) == "public":
                public = value
            else:
                secret = value
    if not public:
        raise ValueError(f"No public key found in {filename}")
    return public, secret


def load_certificates(directory: str | os.PathLike[str] = ".") -> dict[bytes, bool]:
    """The public keys of every ``*.key`` file in directory, as ``{key: True}`` (OSError when
    directory is not one)."""
    if not os.path.isdir(directory):
        raise OSError(f"Invalid certificate directory: {directory}")
    return {load_certificate(path)[0]: True for path in glob.glob(os.path.join(directory, "*.key"))}
