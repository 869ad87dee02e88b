"""The auditor's export: every event as JSONL, the checkpoints, the public key, and a verifier
that needs nothing but Python's standard library."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from flask import current_app

import workflows.chain
from grants.audit.checkpoints import all_checkpoints, load_or_create_key, public_key_pem
from grants.audit.verify import stream_events

README = """Ledger export from {service}

events.jsonl        every ledger event, one JSON object per line, in sequence order
checkpoints/        signed checkpoints (Ed25519) of the ledger head, as written at the time
public_key.pem      the office's checkpoint signing key (public half)
verify_chain.py     checks the hash chain with the Python standard library only:
                        python3 verify_chain.py events.jsonl
MANIFEST.sha256     SHA-256 of each file above

Each event's "hash" is SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8, amounts
as strings of whole pence) of its fields, including "prev_hash", the hash of the event before.
A checkpoint's signature covers {{"hash","seq","signed_at"}} as canonical JSON; check it with
any Ed25519 implementation and public_key.pem, and that events.jsonl has that hash at that seq.
"""


def export_ledger(folder: str) -> dict[str, int]:
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    with (target / "events.jsonl").open("w", encoding="utf-8") as out:
        for event in stream_events():
            out.write(json.dumps(event, sort_keys=True, ensure_ascii=False) + "\n")
            count += 1
    checkpoint_dir = target / "checkpoints"
    checkpoint_dir.mkdir(exist_ok=True)
    checkpoints = all_checkpoints(current_app.config["AUDIT_CHECKPOINT_DIR"])
    for checkpoint in checkpoints:
        shutil.copyfile(checkpoint.path, checkpoint_dir / checkpoint.path.name)
    key = load_or_create_key(current_app.config["AUDIT_SIGNING_KEY_FILE"])
    (target / "public_key.pem").write_bytes(public_key_pem(key))
    shutil.copyfile(workflows.chain.__file__, target / "verify_chain.py")
    (target / "README.txt").write_text(
        README.format(service=current_app.config["SERVICE_NAME"]), encoding="utf-8"
    )
    lines = []
    for path in sorted(p for p in target.rglob("*") if p.is_file() and p.name != "MANIFEST.sha256"):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(target).as_posix()}")
    (target / "MANIFEST.sha256").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"events": count, "checkpoints": len(checkpoints)}
