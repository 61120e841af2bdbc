"""AES-256-CBC payloads of encrypted frames: round trips and damaged input."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from kisapi_runtime.realtime.crypto import decrypt, encrypt
from kisapi_runtime.realtime.records import KisFrameError

# The key and iv of a real SUBSCRIBE SUCCESS reply (real_payloads.json, H0STCNI9).
KEY = "tgwamzheswuhrijydnzkvsjaymxcecgx"
IV = "80e85b05c1899390"
NOTICE = "sanare78^0000012345^00001^^02^0^00^0^005930^10^71200^093015^0^1^1^00950^10^홍길동^1^KRX^삼성전자^^^^N^"


def test_round_trip_keeps_korean_text_and_fields() -> None:
    payload = encrypt(NOTICE, KEY, IV)
    assert payload != NOTICE
    assert decrypt(payload, KEY, IV) == NOTICE


def test_decrypts_what_an_independent_aes_cbc_pkcs7_encoder_made() -> None:
    data = "a^b^가".encode()
    pad = 16 - len(data) % 16
    encryptor = Cipher(algorithms.AES(KEY.encode()), modes.CBC(IV.encode())).encryptor()
    raw = encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()
    assert decrypt(base64.b64encode(raw).decode(), KEY, IV) == "a^b^가"


def test_whitespace_in_the_base64_is_ignored() -> None:
    payload = encrypt(NOTICE, KEY, IV)
    wrapped = "\n".join(payload[i : i + 20] for i in range(0, len(payload), 20))
    assert decrypt(wrapped + "\n", KEY, IV) == NOTICE


@pytest.mark.parametrize(
    "payload",
    ["@@not base64@@", "", "QUJD", base64.b64encode(b"x" * 17).decode()],
    ids=["alphabet", "empty", "short", "not-whole-blocks"],
)
def test_damaged_payloads_raise_frame_errors(payload: str) -> None:
    with pytest.raises(KisFrameError):
        decrypt(payload, KEY, IV)


def test_wrong_key_raises_a_frame_error() -> None:
    payload = encrypt(NOTICE, KEY, IV)
    with pytest.raises(KisFrameError):
        decrypt(payload, "x" * 32, IV)


@pytest.mark.parametrize(("key", "iv"), [("short", IV), (KEY, "short")])
def test_bad_key_or_iv_lengths_raise_frame_errors(key: str, iv: str) -> None:
    with pytest.raises(KisFrameError):
        decrypt(encrypt("abc", KEY, IV), key, iv)
