"""Signed checkpoints of the ledger head (Ed25519), written where the database cannot reach.

A checkpoint says "event N had hash H", signed with the office's key and written once to a
no-overwrite location. Someone who rewrites the whole chain in the database, hashes and all,
cannot make it agree with checkpoints taken before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    signed_at: str
    signature: str
    path: Path

    def signed_bytes(self) -> bytes:
        return _signed_bytes(self.seq, self.hash, self.signed_at)


def _signed_bytes(seq: int, head_hash: str, signed_at: str) -> bytes:
    body = {"seq": seq, "hash": head_hash, "signed_at": signed_at}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def load_or_create_key(path: str) -> Ed25519PrivateKey:
    key_file = Path(path)
    if key_file.exists():
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return key
    key = Ed25519PrivateKey.generate()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return key


def public_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the public key as DER, which an auditor can recompute from public_key.pem
    (``openssl pkey -pubin -in public_key.pem -outform DER | sha256sum``)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def write_checkpoint(
    key: Ed25519PrivateKey, folder: str, seq: int, head_hash: str, now: dt.datetime
) -> Checkpoint:
    """Write one checkpoint file; an existing checkpoint is never replaced."""
    directory = Path(folder)
    directory.mkdir(parents=True, exist_ok=True)
    signed_at = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    signature = key.sign(_signed_bytes(seq, head_hash, signed_at)).hex()
    path = directory / f"checkpoint-{seq:012d}.json"
    record = {"seq": seq, "hash": head_hash, "signed_at": signed_at, "signature": signature}
    try:
        with path.open("x", encoding="utf-8") as handle:  # "x": fail rather than overwrite
            json.dump(record, handle, sort_keys=True)
    except FileExistsError:
        return read_checkpoint(path)
    return Checkpoint(seq, head_hash, signed_at, signature, path)


def read_checkpoint(path: Path) -> Checkpoint:
    record = json.loads(path.read_text(encoding="utf-8"))
    return Checkpoint(
        int(record["seq"]), record["hash"], record["signed_at"], record["signature"], path
    )


def all_checkpoints(folder: str) -> list[Checkpoint]:
    directory = Path(folder)
    if not directory.is_dir():
        return []
    return sorted(
        (read_checkpoint(path) for path in directory.glob("checkpoint-*.json")),
        key=lambda checkpoint: checkpoint.seq,
    )


def signature_valid(public_key: Ed25519PublicKey, checkpoint: Checkpoint) -> bool:
    try:
        public_key.verify(bytes.fromhex(checkpoint.signature), checkpoint.signed_bytes())
    except (InvalidSignature, ValueError):
        return False
    return True
