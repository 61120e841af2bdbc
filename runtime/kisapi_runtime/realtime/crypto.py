"""AES-CBC payloads of encrypted realtime frames (``1|...``: execution notices).

KIS sends base64 AES-256-CBC with PKCS7 padding; key (32 chars) and iv (16 chars) come from
the subscribe reply and are used as their UTF-8 bytes.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .records import KisFrameError

__all__ = ["decrypt", "encrypt"]

_BLOCK_BITS = 128


def _cipher(key: str, iv: str) -> Cipher[modes.CBC]:
    try:
        return Cipher(algorithms.AES(key.encode("utf-8")), modes.CBC(iv.encode("utf-8")))
    except ValueError as exc:
        raise KisFrameError(f"bad realtime cipher key or iv: {exc}") from None


def decrypt(payload_b64: str, key: str, iv: str) -> str:
    """The plain text of an encrypted frame payload; :class:`KisFrameError` if it is damaged."""
    try:
        data = base64.b64decode("".join(payload_b64.split()), validate=True)
    except (binascii.Error, ValueError):
        raise KisFrameError("encrypted payload is not base64") from None
    if not data or len(data) % (_BLOCK_BITS // 8):
        raise KisFrameError(f"encrypted payload of {len(data)} bytes is not whole AES blocks")
    decryptor = _cipher(key, iv).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(_BLOCK_BITS).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
        return plain.decode("utf-8")
    except ValueError:  # bad padding, or UnicodeDecodeError (a ValueError): wrong key or iv
        raise KisFrameError("encrypted payload does not decrypt (wrong key or iv?)") from None


def encrypt(text: str, key: str, iv: str) -> str:
    """The base64 payload KIS would send for ``text`` (tests and the sandbox)."""
    padder = padding.PKCS7(_BLOCK_BITS).padder()
    padded = padder.update(text.encode("utf-8")) + padder.finalize()
    encryptor = _cipher(key, iv).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")
