"""Upload benchmark: a large file through the application's upload path against raw boto3
`upload_fileobj` to the same S3-compatible store, side by side in one run.

    scripts/test-services.sh start /tmp/bench-env && . /tmp/bench-env
    .venv/bin/python bench/upload.py [--megabytes 200] [--rounds 5]
    scripts/test-services.sh stop /tmp/bench-env

It needs the TEST_S3_* settings that scripts/test-services.sh writes (SeaweedFS on loopback).
The application runs as its own process (werkzeug, threaded) on a SQLite database in a
temporary folder; the benchmark signs a member in, posts the file to the organisation
documents page as a browser would (multipart, streamed from disk), and reads the server
process's resident memory before the first upload and its peak (VmHWM) after the last.

One untimed upload each way comes first (the store's first write allocates its volumes), then
the rounds, each timing three uploads in turn (the order rotating): raw boto3, the app's S3
store's put on its own (where the upload path ends, without the request around it), and the
whole upload path. The ratios are of median times, so one slow run on a busy machine does not
decide them; the load average is printed beside them. Everything uploaded is deleted at the end.
The output names the application's request class: with grants.services.documents.UploadRequest
the file goes to the store in parts while the request is still arriving.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

# Run as a script, this folder comes first on the import path, where another benchmark's module
# (bench/queue.py) would stand in for the standard library's `queue` that urllib3 imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHUNK = 1024 * 1024


def make_pdf(path: Path, megabytes: int) -> None:
    """A file that passes the PDF checks: header, bulk, %%EOF trailer."""
    with path.open("wb") as out:
        out.write(b"%PDF-1.7\n")
        block = secrets.token_bytes(CHUNK)
        for _ in range(megabytes):
            out.write(block)
        out.write(b"\n%%EOF\n")


def s3_client():  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=os.environ["TEST_S3_ENDPOINT_URL"],
        aws_access_key_id=os.environ["TEST_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["TEST_S3_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


RAW_PREFIX = f"bench/{secrets.token_hex(8)}/"


def raw_upload(path: Path) -> float:
    client = s3_client()
    started = time.perf_counter()
    with path.open("rb") as data:
        client.upload_fileobj(data, os.environ["TEST_S3_BUCKET"], RAW_PREFIX + secrets.token_hex(8))
    return time.perf_counter() - started


def store_upload(path: Path, sha256_hex: str) -> float:
    """The application's S3 store on its own (as configured by default): the same put the
    upload path ends in, without the request around it."""
    from storage.s3 import S3DocumentStore, make_client

    store = S3DocumentStore(
        make_client(
            endpoint_url=os.environ["TEST_S3_ENDPOINT_URL"],
            access_key_id=os.environ["TEST_S3_ACCESS_KEY_ID"],
            secret_access_key=os.environ["TEST_S3_SECRET_ACCESS_KEY"],
        ),
        os.environ["TEST_S3_BUCKET"],
    )
    started = time.perf_counter()
    with path.open("rb") as data:
        store.put(
            RAW_PREFIX + secrets.token_hex(8),
            data,
            size=path.stat().st_size,
            sha256_hex=sha256_hex,
            content_type="application/pdf",
        )
    return time.perf_counter() - started


def sha256_of(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def remove_uploads(database: Path) -> None:
    """Delete what this run stored (gigabytes after a few runs): the raw uploads under this
    run's prefix and the documents the application's database points at."""
    import sqlite3

    client, bucket = s3_client(), os.environ["TEST_S3_BUCKET"]
    keys = [
        item["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=RAW_PREFIX
        )
        for item in page.get("Contents", [])
    ]
    if database.exists():
        with sqlite3.connect(database) as connection:
            keys += [key for (key,) in connection.execute("SELECT storage_key FROM documents")]
    for key in keys:
        client.delete_object(Bucket=bucket, Key=key)


SERVER = """
import os, sys
sys.path.insert(0, {root!r})
from werkzeug.serving import make_server
from grants import create_app
from grants.extensions import db
from flask_migrate import upgrade
app = create_app()
with app.app_context():
    upgrade()
    # A member to upload as (benchmark only).
    from grants.models import Membership, MembershipRole, Organisation, OrganisationType, User
    from grants.security.passwords import hash_password
    organisation = Organisation(name="Bench Club", org_type=OrganisationType.COMMUNITY_GROUP)
    user = User(email="bench@example.org", full_name="Bench",
                password_hash=hash_password("bench password 1"))
    owner = Membership(user=user, organisation=organisation, role=MembershipRole.OWNER)
    db.session.add_all([organisation, user, owner])
    db.session.commit()
server = make_server("127.0.0.1", int(os.environ["BENCH_PORT"]), app, threaded=True)
print("ready", app.request_class.__name__, flush=True)
server.serve_forever()
"""


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field}")


def reset_peak(pid: int) -> int:
    """Start the peak (VmHWM) again from the current resident size, which it returns: the
    server's start-up (migrations, imports) peaks higher than an upload may, and would hide
    any growth below that."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return memory_kib(pid, "VmRSS")


class MultipartBody:
    """A multipart/form-data body read from disk in chunks, so the client holds no copy."""

    def __init__(self, fields: dict[str, str], file_field: str, path: Path, filename: str) -> None:
        self.boundary = secrets.token_hex(16)
        disposition = "Content-Disposition: form-data; name="
        head = b"".join(
            f'--{self.boundary}\r\n{disposition}"{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        head += (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        self.parts = [head, path, f"\r\n--{self.boundary}--\r\n".encode()]
        self.length = len(head) + path.stat().st_size + len(self.parts[2])

    def __iter__(self):  # type: ignore[no-untyped-def]
        for part in self.parts:
            if isinstance(part, Path):
                with part.open("rb") as data:
                    while chunk := data.read(CHUNK):
                        yield chunk
            else:
                yield part


def csrf(opener, url: str) -> str:  # type: ignore[no-untyped-def]
    import re

    html = opener.open(url).read().decode()
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


class AppServer:
    """The application in its own process, with a member signed in to upload as."""

    def __init__(self, instance: Path, max_bytes: int) -> None:
        import http.cookiejar
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        limit = str(max_bytes + 10 * CHUNK)
        env = {
            **os.environ,
            "BENCH_PORT": str(port),
            "GRANTS_INSTANCE_PATH": str(instance),
            "DATABASE_URL": f"sqlite:///{instance}/bench.sqlite",
            "SECRET_KEY": secrets.token_hex(32),
            "S3_ENDPOINT_URL": os.environ["TEST_S3_ENDPOINT_URL"],
            "S3_BUCKET": os.environ["TEST_S3_BUCKET"],
            "S3_ACCESS_KEY_ID": os.environ["TEST_S3_ACCESS_KEY_ID"],
            "S3_SECRET_ACCESS_KEY": os.environ["TEST_S3_SECRET_ACCESS_KEY"],
            "UPLOAD_MAX_BYTES": limit,
            "MAX_CONTENT_LENGTH": limit,
        }
        self.process = subprocess.Popen(  # noqa: S603  (our own interpreter and script)
            [sys.executable, "-c", SERVER.format(root=str(ROOT))],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        ready, self.request_class = self.process.stdout.readline().split()
        assert ready == "ready"
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        token = csrf(self.opener, f"{self.base}/sign-in/password")
        form = {"csrf_token": token, "email": "bench@example.org", "password": "bench password 1"}
        self.opener.open(f"{self.base}/sign-in/password", urllib.parse.urlencode(form).encode())

    def reset_peak(self) -> int:
        return reset_peak(self.process.pid)

    def peak_kib(self) -> int:
        return memory_kib(self.process.pid, "VmHWM")

    def upload(self, path: Path) -> float:
        filename = f"evidence-{secrets.token_hex(4)}.pdf"
        token = csrf(self.opener, f"{self.base}/organisations/1/documents")
        body = MultipartBody({"csrf_token": token, "purpose": "other"}, "document", path, filename)
        request = urllib.request.Request(  # noqa: S310  (loopback http only)
            f"{self.base}/organisations/1/documents",
            data=iter(body),
            headers={
                "Content-Type": f"multipart/form-data; boundary={body.boundary}",
                "Content-Length": str(body.length),
            },
        )
        started = time.perf_counter()
        page = self.opener.open(request).read().decode()
        elapsed = time.perf_counter() - started
        assert filename in page, "the upload did not land"
        return elapsed

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def seconds(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as folder:
        root = Path(folder)
        path = root / "big-evidence.pdf"
        make_pdf(path, args.megabytes)
        warm_up = root / "warm-up.pdf"
        make_pdf(warm_up, 24)
        megabytes = path.stat().st_size / CHUNK
        digest = sha256_of(path)
        server = AppServer(root, path.stat().st_size)
        timed: dict[str, list[float]] = {"raw": [], "store": [], "app": []}
        runs = {
            "raw": lambda: raw_upload(path),
            "store": lambda: store_upload(path, digest),
            "app": lambda: server.upload(path),
        }
        try:
            before = server.reset_peak()
            raw_upload(warm_up)
            server.upload(warm_up)
            for round_number in range(args.rounds):
                order = list(runs)
                order = order[round_number % 3 :] + order[: round_number % 3]
                for name in order:
                    timed[name].append(runs[name]())
            peak = server.peak_kib()
        finally:
            server.stop()
            remove_uploads(root / "bench.sqlite")
    raw, store, app = (statistics.median(timed[name]) for name in ("raw", "store", "app"))
    print(f"file                          : {megabytes:8.1f} MiB, {args.rounds} rounds")
    print(f"the app's request class       : {server.request_class}")
    # Other work on the machine slows the three ways unevenly: say how busy it was.
    print(f"load average (1 min)          : {load_at_start:8.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end")  # fmt: skip
    for label, name, median in (
        ("raw boto3 upload_fileobj", "raw", raw),
        ("the app's S3 store alone", "store", store),
        ("through the app's upload path", "app", app),
    ):
        print(f"{label:30s}: {megabytes / median:8.1f} MiB/s (median {median:.2f} s; "
              f"{seconds(timed[name])})")  # fmt: skip
    print(f"ratio app / raw (medians)     : {raw / app:8.2f}")
    print(f"ratio store alone / raw       : {raw / store:8.2f}")
    print(
        f"server RSS                    : {before / 1024:8.1f} MiB before, peak "
        f"{peak / 1024:.1f} MiB after (growth {(peak - before) / 1024:.1f} MiB)"
    )


if __name__ == "__main__":
    main()
