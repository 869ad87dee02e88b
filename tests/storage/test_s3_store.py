"""The S3 store against a real SeaweedFS on loopback, started by scripts/test-services.sh with
one identity (so credentials are enforced): write once, checksums checked, signatures checked,
presigned downloads as attachments, large files in parts (each checked, the whole checked,
aborted on any failure), and a bounded wait when the store is down or frozen."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message

import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from storage.base import ObjectExists, StorageError
from storage.s3 import MIN_PART_SIZE, S3DocumentStore, make_client

pytestmark = pytest.mark.s3

DATA = b"%PDF-1.7 constitution of the Saffron Lane Boxing Club"
# Never through a proxy: every request in these tests goes to 127.0.0.1.
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class S3:
    endpoint: str
    access_key: str
    secret_key: str
    bucket: str


@pytest.fixture(scope="module")
def s3() -> S3:
    return S3(
        endpoint=os.environ["TEST_S3_ENDPOINT_URL"],
        access_key=os.environ["TEST_S3_ACCESS_KEY_ID"],
        secret_key=os.environ["TEST_S3_SECRET_ACCESS_KEY"],
        bucket=os.environ["TEST_S3_BUCKET"],
    )


def make_store(
    s3: S3, *, endpoint: str | None = None, access_key: str | None = None, secret_key: str = ""
) -> S3DocumentStore:
    client = make_client(
        endpoint_url=endpoint or s3.endpoint,
        access_key_id=access_key or s3.access_key,
        secret_access_key=secret_key or s3.secret_key,
        connect_timeout=1,
        read_timeout=1,
        max_attempts=2,
    )
    return S3DocumentStore(client, s3.bucket)


@pytest.fixture
def store(s3: S3) -> S3DocumentStore:
    return make_store(s3)


@pytest.fixture
def prefix(store: S3DocumentStore) -> Iterator[str]:
    """A folder of its own for each test (both tiers share one bucket); emptied afterwards."""
    prefix = f"tests/{uuid.uuid4().hex}/"
    yield prefix
    for stored in list(store.list(prefix)):
        store.delete(stored.key)


def put(store: S3DocumentStore, key: str, data: bytes = DATA, digest: str | None = None) -> None:
    store.put(
        key,
        io.BytesIO(data),
        size=len(data),
        sha256_hex=digest or hashlib.sha256(data).hexdigest(),
        content_type="application/pdf",
    )


def fetch(url: str, method: str = "GET", data: bytes | None = None) -> tuple[int, Message, bytes]:
    """An unsigned request as a browser would send it: status, headers, body."""
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (loopback)
    try:
        with LOOPBACK.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def test_round_trip_put_open_exists_list_delete(store, prefix):
    key = f"{prefix}documents/ab/cdef"
    assert not store.exists(key)
    put(store, key)
    assert store.exists(key)
    with store.open(key) as stream:
        assert stream.read() == DATA
    [listed] = list(store.list(prefix))
    assert (listed.key, listed.size) == (key, len(DATA))
    assert listed.last_modified.tzinfo is not None
    assert list(store.list(f"{prefix}other/")) == []

    store.delete(key)
    assert not store.exists(key)
    assert list(store.list(prefix)) == []
    with pytest.raises(StorageError, match="could not read"):
        store.open(key)


def test_the_same_key_twice_is_refused_and_the_first_content_stays(store, prefix):
    key = f"{prefix}k"
    put(store, key)
    with pytest.raises(ObjectExists):
        put(store, key, b"something else entirely")
    with store.open(key) as stream:
        assert stream.read() == DATA
    assert [stored.size for stored in store.list(prefix)] == [len(DATA)]


def test_a_wrong_sha256_is_refused_and_nothing_is_stored(store, prefix):
    key = f"{prefix}k"
    with pytest.raises(StorageError, match="BadDigest") as refused:
        put(store, key, digest=hashlib.sha256(b"other bytes").hexdigest())
    assert not isinstance(refused.value, ObjectExists)
    assert not store.exists(key)
    assert list(store.list(prefix)) == []


@pytest.mark.parametrize(
    ("access_key", "secret_key"),
    [(None, "not-the-secret"), ("AKIAUNKNOWNKEY000000", "not-the-secret")],
    ids=["wrong secret", "unknown key"],
)
def test_a_client_with_wrong_credentials_is_refused(s3, store, prefix, access_key, secret_key):
    intruder = make_store(s3, access_key=access_key, secret_key=secret_key)
    key = f"{prefix}k"
    with pytest.raises(StorageError, match="refused the upload"):
        put(intruder, key)
    assert not store.exists(key)
    put(store, key)
    with pytest.raises(StorageError):
        intruder.open(key)
    with pytest.raises(StorageError):
        list(intruder.list(prefix))


def test_anonymous_requests_are_refused(s3, store, prefix):
    key = f"{prefix}k"
    put(store, key)
    status, _, body = fetch(f"{s3.endpoint}/{s3.bucket}/{key}")
    assert status == 403 and DATA not in body
    status, _, body = fetch(f"{s3.endpoint}/{s3.bucket}?list-type=2")
    assert status == 403 and key.encode() not in body
    status, _, _ = fetch(f"{s3.endpoint}/{s3.bucket}/{prefix}planted", "PUT", b"planted")
    assert status == 403
    assert not store.exists(f"{prefix}planted")


@pytest.mark.parametrize(
    ("filename", "disposition"),
    [
        (
            "Saffron Lane constitution.pdf",
            'attachment; filename="Saffron Lane constitution.pdf"',
        ),
        (
            'Café "budget"\r\n.pdf',
            'attachment; filename="Cafe budget.pdf"; '
            "filename*=UTF-8''Caf%C3%A9%20%22budget%22.pdf",
        ),
    ],
    ids=["ascii", "accents quotes and a line break"],
)
def test_a_presigned_url_downloads_the_bytes_as_an_attachment(store, prefix, filename, disposition):
    key = f"{prefix}k"
    put(store, key)
    url = store.download_url(key, filename, "application/pdf", 60)
    status, headers, body = fetch(url)
    assert (status, body) == (200, DATA)
    assert headers["Content-Disposition"] == disposition
    assert headers["Content-Type"] == "application/pdf"


def tamper_signature(url: str) -> str:
    start = url.index("X-Amz-Signature=") + len("X-Amz-Signature=")
    return url[:start] + ("1" if url[start] == "0" else "0") + url[start + 1 :]


def tamper_disposition(url: str) -> str:
    assert "response-content-disposition=attachment" in url
    return url.replace(
        "response-content-disposition=attachment", "response-content-disposition=inline"
    )


@pytest.mark.parametrize("tamper", [tamper_signature, tamper_disposition])
def test_a_tampered_presigned_url_is_refused(store, prefix, tamper):
    key = f"{prefix}k"
    put(store, key)
    url = store.download_url(key, "constitution.pdf", "application/pdf", 60)
    assert fetch(url)[0] == 200
    status, _, body = fetch(tamper(url))
    assert status == 403 and DATA not in body


# Faults. The clients above allow 1 s to connect, 1 s for each read and two attempts: a store
# that is down or frozen must turn into StorageError well within that budget, never a hang.
BUDGET_SECONDS = 15


def test_a_store_that_is_down_fails_fast(s3, prefix):
    # Bound but not listening: the port is ours and every connection is refused.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        store = make_store(s3, endpoint=f"http://127.0.0.1:{closed.getsockname()[1]}")
        started = time.monotonic()
        with pytest.raises(StorageError, match="could not be reached") as failed:
            put(store, f"{prefix}k")
        assert isinstance(failed.value.__cause__, EndpointConnectionError)
        for call in (
            lambda: store.exists(f"{prefix}k"),
            lambda: store.open(f"{prefix}k"),
            lambda: list(store.list(prefix)),
            lambda: store.delete(f"{prefix}k"),
        ):
            with pytest.raises(StorageError):
                call()
        assert time.monotonic() - started < BUDGET_SECONDS


def test_a_frozen_store_times_out_within_the_budget(s3, prefix):
    # Listening but never accepting, like a stopped process: the kernel completes the
    # handshake and takes the request, and no answer ever comes.
    with socket.create_server(("127.0.0.1", 0), backlog=8) as frozen:
        store = make_store(s3, endpoint=f"http://127.0.0.1:{frozen.getsockname()[1]}")
        started = time.monotonic()
        with pytest.raises(StorageError, match="could not be reached") as failed:
            put(store, f"{prefix}k")
        elapsed = time.monotonic() - started
        attempts = queued_connections(frozen)
    assert isinstance(failed.value.__cause__, ReadTimeoutError | ConnectTimeoutError)
    assert attempts == 2  # max_attempts counts the first request
    assert 2 <= elapsed < BUDGET_SECONDS


def queued_connections(server: socket.socket) -> int:
    """How many connections the kernel took for a server that never accepted one."""
    server.setblocking(False)
    count = 0
    while True:
        try:
            connection, _ = server.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


# Large files go up in parts, side by side. The store is made to split small files here (parts
# can be no smaller than 5 MiB), so each test sends a few parts rather than hundreds of MiB.
PART = MIN_PART_SIZE


def parted_store(s3: S3, client: object | None = None) -> S3DocumentStore:
    return S3DocumentStore(
        client or make_store(s3).client,
        s3.bucket,
        multipart_threshold=PART,
        part_size=PART,
        part_concurrency=3,
    )


def large(parts: float = 2.5) -> bytes:
    return b"%PDF-1.7\n" + os.urandom(int(PART * parts))


def unfinished_uploads(store: S3DocumentStore, prefix: str) -> list[str]:
    listing = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=prefix)
    return [upload["Key"] for upload in listing.get("Uploads", [])]


def in_a_file(data: bytes, tmp_path, offset: int = 0):  # type: ignore[no-untyped-def]
    """An upload as werkzeug hands it over: a file on disk, read from where it stands."""
    path = tmp_path / "upload"
    path.write_bytes(b"x" * offset + data)
    stream = path.open("rb")
    stream.seek(offset)
    return stream


@pytest.mark.parametrize("source", ["file on disk", "stream in memory"])
def test_a_large_file_goes_up_in_parts_and_reads_back_whole(s3, prefix, tmp_path, source):
    store = parted_store(s3)
    data = large(2.5)
    digest = hashlib.sha256(data).hexdigest()
    stream = in_a_file(data, tmp_path, offset=77) if source == "file on disk" else io.BytesIO(data)
    with stream:
        store.put(f"{prefix}k", stream, size=len(data), sha256_hex=digest, content_type="a/b")
    with store.open(f"{prefix}k") as stored:
        assert stored.read() == data
    head = store.client.head_object(Bucket=s3.bucket, Key=f"{prefix}k", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"].endswith("-3")  # three parts, each checked by the store
    assert head["Metadata"] == {"sha256": digest}  # the file's own SHA-256 kept with it
    assert head["ContentType"] == "a/b"
    assert unfinished_uploads(store, prefix) == []


def test_a_large_file_is_written_once_and_the_refused_upload_is_aborted(s3, prefix):
    store = parted_store(s3)
    first, second = large(1.5), large(1.5)
    put(store, f"{prefix}k", first)
    with pytest.raises(ObjectExists):
        put(store, f"{prefix}k", second)
    with store.open(f"{prefix}k") as stored:
        assert stored.read() == first
    assert unfinished_uploads(store, prefix) == []


def test_a_large_file_that_does_not_match_its_sha256_is_refused(s3, prefix):
    store = parted_store(s3)
    with pytest.raises(StorageError, match="BadDigest"):
        put(store, f"{prefix}k", large(1.5), digest=hashlib.sha256(b"other").hexdigest())
    assert not store.exists(f"{prefix}k")
    assert unfinished_uploads(store, prefix) == []


@pytest.mark.parametrize("source", ["file on disk", "stream in memory"])
def test_a_large_file_shorter_than_its_size_is_refused(s3, prefix, tmp_path, source):
    store = parted_store(s3)
    data = large(2.5)
    short = data[: -PART // 2]
    stream = in_a_file(short, tmp_path) if source == "file on disk" else io.BytesIO(short)
    with stream, pytest.raises(StorageError, match="before its stated size"):
        store.put(
            f"{prefix}k",
            stream,
            size=len(data),
            sha256_hex=hashlib.sha256(data).hexdigest(),
            content_type="application/pdf",
        )
    assert not store.exists(f"{prefix}k")
    assert unfinished_uploads(store, prefix) == []


class DamagesPartTwo:
    """The real client, except that part 2 arrives damaged (its bytes and checksum differ)."""

    def __init__(self, client: object) -> None:
        self.client = client
        self.parts_sent: list[int] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.client, name)

    def upload_part(self, **request: object) -> object:
        self.parts_sent.append(request["PartNumber"])
        if request["PartNumber"] == 2:
            request["ChecksumSHA256"] = base64.b64encode(hashlib.sha256(b"x").digest()).decode()
        return self.client.upload_part(**request)


def test_a_part_the_store_refuses_aborts_the_whole_upload(s3, prefix):
    damaging = DamagesPartTwo(make_store(s3).client)
    store = parted_store(s3, damaging)
    with pytest.raises(StorageError, match="BadDigest"):
        put(store, f"{prefix}k", large(2.5))
    assert 2 in damaging.parts_sent
    assert not store.exists(f"{prefix}k")
    assert unfinished_uploads(store, prefix) == []


def test_parts_smaller_than_s3_allows_are_refused(s3):
    with pytest.raises(ValueError, match="part_size"):
        S3DocumentStore(make_store(s3).client, s3.bucket, part_size=MIN_PART_SIZE - 1)


def test_an_upload_is_signed_through_its_checksum_and_every_other_request_by_its_body(
    s3, store, prefix
):
    # An upload's SHA-256 travels in a signed header the store checks against the body (the
    # wrong ones are refused in the tests around this), so the body is not hashed again to be
    # signed as well. Every other request's body is still part of its signature.
    sent: list[tuple[str, str, bool]] = []

    def note(request, **_: object) -> None:  # type: ignore[no-untyped-def]
        operation = f"{request.method} {'part' if 'partNumber=' in request.url else ''}"
        payload = request.headers["X-Amz-Content-SHA256"].decode()
        sent.append((operation.strip(), payload, "x-amz-checksum-sha256" in request.headers))

    store.client.meta.events.register("before-send.s3", note)
    put(store, f"{prefix}small")
    put(parted_store(s3, store.client), f"{prefix}large", large(1.5))
    store.client.put_object(Bucket=store.bucket, Key=f"{prefix}plain", Body=b"no checksum")
    unsigned = ("UNSIGNED-PAYLOAD", True)
    assert sent[0] == ("PUT", *unsigned)
    create, first, second, complete = sent[1:5]
    assert create[0] == "POST" and first == second == ("PUT part", *unsigned)
    assert complete[0] == "POST" and complete[1] not in {"UNSIGNED-PAYLOAD", create[1]}
    assert sent[5] == ("PUT", hashlib.sha256(b"no checksum").hexdigest(), False)
