"""Z85: ZeroMQ's printable encoding of binary data (ZeroMQ RFC 32).

Every 4 bytes of input (read as a big-endian 32-bit number) become 5 characters from an
85-symbol alphabet, so the input length must be a multiple of 4 and an encoded string's length
a multiple of 5. CURVE keys are commonly exchanged as 40-character Z85 strings.
"""

from __future__ import annotations

from typing import Union

__all__ = ["encode", "decode", "Z85CHARS", "Z85MAP"]

_Buffer = Union[bytes, bytearray, memoryview]

#: The 85 symbols, in digit order (RFC 32).
Z85CHARS = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
#: symbol byte -> digit value
Z85MAP = {sym: digit for digit, sym in enumerate(Z85CHARS)}

# symbol byte -> digit, 255 for bytes outside the alphabet (a flat table is faster than a dict)
_DIGIT = bytearray(b"\xff" * 256)
for _sym, _digit in Z85MAP.items():
    _DIGIT[_sym] = _digit
del _sym, _digit


def encode(rawbytes: _Buffer) -> bytes:
    """Encode binary data (length a multiple of 4) as Z85 bytes."""
    data = memoryview(rawbytes).cast("B")
    n = len(data)
    if n % 4:
        raise ValueError(f"Z85 input length must be a multiple of 4, got {n}")
    out = bytearray(n // 4 * 5)
    chars = Z85CHARS
    o = 0
    for i in range(0, n, 4):
        word = int.from_bytes(data[i:i + 4], "big")
        # five base-85 digits, most significant first
        for k in range(4, -1, -1):
            word, d = divmod(word, 85)
            out[o + k] = chars[d]
        o += 5
    return bytes(out)


def decode(z85bytes: str | _Buffer) -> bytes:
    """Decode Z85 text (str or bytes, length a multiple of 5) back into binary data."""
    if isinstance(z85bytes, str):
        try:
            data = z85bytes.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError("Z85 text must contain only ASCII characters") from None
    else:
        data = bytes(memoryview(z85bytes).cast("B"))
    n = len(data)
    if n % 5:
        raise ValueError(f"Z85 input length must be a multiple of 5, got {n}")
    out = bytearray(n // 5 * 4)
    table = _DIGIT
    o = 0
    for i in range(0, n, 5):
        word = 0
        for b in data[i:i + 5]:
            d = table[b]
            if d == 255:
                raise ValueError(f"invalid Z85 character {chr(b)!r} at offset {i}")
            word = word * 85 + d
        if word > 0xFFFFFFFF:
            raise ValueError(f"Z85 group at offset {i} does not fit in 32 bits")
        out[o:o + 4] = word.to_bytes(4, "big")
        o += 4
    return bytes(out)
