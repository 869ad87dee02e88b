"""Passwords, one-time codes, tokens and redirects."""

import pytest

from grants.security import totp
from grants.security.passwords import hash_password, verify_password
from grants.security.tokens import new_token, token_hash
from grants.web.helpers import safe_next


def test_password_round_trip_and_refusals():
    stored = hash_password("correct horse battery staple")
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "Correct horse battery staple")
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")


def test_totp_accepts_one_step_of_drift_only():
    secret = totp.new_secret()
    now = 1_700_000_000.0
    code = totp.current_code(secret, at=now)
    step = int(now // 30)
    assert totp.matching_step(secret, code, at=now) == step
    assert totp.matching_step(secret, code, at=now + 30) == step
    assert totp.matching_step(secret, code, at=now + 90) is None
    assert totp.matching_step(secret, "12345", at=now) is None
    assert totp.matching_step(secret, "abcdef", at=now) is None


def test_tokens_are_random_and_stored_hashed():
    first, second = new_token(), new_token()
    assert first != second and len(first) >= 40
    assert token_hash(first) != first and len(token_hash(first)) == 64


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/applications/3", "/applications/3"),
        ("https://evil.example/", "/dashboard"),
        ("//evil.example/", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
        ("", "/dashboard"),
        (None, "/dashboard"),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target, "/dashboard") == expected
