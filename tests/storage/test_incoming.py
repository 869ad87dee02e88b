"""A file as it arrives: counted and hashed on the way in, kept locally to be read back, and - for
the S3 store - sent in parts while it is still arriving, then completed by ``save`` or aborted
by ``close``, by going past the size limit, or by any failure, so nothing is left behind.

The S3 tests run against the SeaweedFS that scripts/test-services.sh starts, with parts of the
smallest size S3 allows so a few MiB stand for hundreds."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import threading
import uuid
from collections.abc import Iterator

import pytest

from storage.base import StorageError
from storage.incoming import PARTS_CONTENT_TYPE, IncomingFile
from storage.local import LocalDocumentStore
from storage.s3 import MIN_PART_SIZE, S3DocumentStore, make_client

PART = MIN_PART_SIZE
ARRIVING = 64 * 1024  # werkzeug's multipart parser hands a file over in pieces this size


def arrive(incoming: IncomingFile, data: bytes, piece: int = ARRIVING) -> None:
    for start in range(0, len(data), piece):
        incoming.write(data[start : start + piece])


def pdf(size: int) -> bytes:
    return b"%PDF-1.7\n" + os.urandom(size - 16) + b"\n%%EOF\n"


# The local store takes whole files only: the file is kept locally until save() puts it.


def test_a_file_is_counted_hashed_and_read_back_from_anywhere(tmp_path):
    store = LocalDocumentStore(str(tmp_path / "store"))
    data = pdf(3 * 1024 * 1024)  # past the part kept in memory
    with IncomingFile(store, "documents/ab/k", limit=len(data)) as incoming:
        arrive(incoming, data, piece=10_000)
        incoming.finish()
        assert incoming.size == len(data)
        assert incoming.sha256_hex == hashlib.sha256(data).hexdigest()
        incoming.seek(-7, os.SEEK_END)
        assert incoming.read() == b"\n%%EOF\n"
        incoming.seek(0)
        assert incoming.read(9) == b"%PDF-1.7\n"
        with pytest.raises(ValueError, match="received"):
            incoming.write(b"more")
        incoming.save("application/pdf")
    with store.open("documents/ab/k") as stored:
        assert stored.read() == data


def test_a_file_closed_without_being_saved_leaves_nothing_in_the_local_store(tmp_path):
    store = LocalDocumentStore(str(tmp_path / "store"))
    incoming = IncomingFile(store, "documents/ab/k", limit=100)
    arrive(incoming, b"%PDF-1.7\n%%EOF\n")
    incoming.finish()
    incoming.close()
    incoming.close()  # a request closes its files again at its end
    assert list(store.list()) == []


def test_a_file_cannot_be_saved_while_it_is_still_arriving(tmp_path):
    store = LocalDocumentStore(str(tmp_path / "store"))
    with IncomingFile(store, "k", limit=100) as incoming:
        incoming.write(b"%PDF-1.7\n")
        with pytest.raises(ValueError, match="still arriving"):
            incoming.save("application/pdf")
    assert list(store.list()) == []


# S3: parts go up while the file arrives.


@pytest.fixture
def s3_store() -> Iterator[S3DocumentStore]:
    store = S3DocumentStore(
        make_client(
            endpoint_url=os.environ["TEST_S3_ENDPOINT_URL"],
            access_key_id=os.environ["TEST_S3_ACCESS_KEY_ID"],
            secret_access_key=os.environ["TEST_S3_SECRET_ACCESS_KEY"],
            connect_timeout=1,
            read_timeout=5,
            max_attempts=2,
        ),
        os.environ["TEST_S3_BUCKET"],
        multipart_threshold=PART,
        part_size=PART,
        part_concurrency=3,
    )
    yield store


@pytest.fixture
def key(s3_store: S3DocumentStore) -> Iterator[str]:
    """A key of its own for each test (both tiers share one bucket), removed afterwards."""
    key = f"tests/{uuid.uuid4().hex}/incoming"
    yield key
    s3_store.delete(key)


def unfinished_parts(store: S3DocumentStore, key: str) -> list[int] | None:
    """The part numbers of the unfinished upload of ``key``, or None if there is none."""
    listing = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=key)
    uploads = [upload for upload in listing.get("Uploads", []) if upload["Key"] == key]
    if not uploads:
        return None
    [upload] = uploads
    parts = store.client.list_parts(Bucket=store.bucket, Key=key, UploadId=upload["UploadId"])
    return [part["PartNumber"] for part in parts.get("Parts", [])]


class RecordsParts:
    """The real client, noting each part the store has taken: parts go up in the background,
    so a test waits for them (never for a length of time)."""

    def __init__(self, client: object) -> None:
        self.client = client
        self.taken: list[int] = []
        self._changed = threading.Condition()

    def __getattr__(self, name: str) -> object:
        return getattr(self.client, name)

    def upload_part(self, **request: object) -> object:
        response = self.client.upload_part(**request)
        with self._changed:
            self.taken.append(request["PartNumber"])
            self._changed.notify_all()
        return response

    def wait_for(self, count: int) -> list[int]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.taken) >= count, timeout=10)
            return sorted(self.taken)


def recording(store: S3DocumentStore) -> tuple[S3DocumentStore, RecordsParts]:
    client = RecordsParts(store.client)
    parted = S3DocumentStore(
        client, store.bucket, multipart_threshold=PART, part_size=PART, part_concurrency=3
    )
    return parted, client


@pytest.mark.s3
def test_parts_go_up_while_the_file_arrives_and_save_completes_them(s3_store, key):
    data = pdf(int(PART * 2.5))
    store, client = recording(s3_store)
    with IncomingFile(store, key, limit=len(data)) as incoming:
        arrive(incoming, data[: 2 * PART + 1])  # two whole parts, and past the threshold
        assert client.wait_for(2) == [1, 2]
        assert unfinished_parts(s3_store, key) == [1, 2]
        assert not s3_store.exists(key)  # nothing is an object until it is saved
        arrive(incoming, data[2 * PART + 1 :])
        incoming.finish()
        assert incoming.sha256_hex == hashlib.sha256(data).hexdigest()
        incoming.save("application/pdf")
    with s3_store.open(key) as stored:
        assert stored.read() == data
    head = s3_store.client.head_object(Bucket=s3_store.bucket, Key=key, ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"].endswith("-3")  # three parts, each checked by the store
    assert head["ContentType"] == PARTS_CONTENT_TYPE  # typed before its type was known
    assert unfinished_parts(s3_store, key) is None


@pytest.mark.s3
def test_a_file_of_whole_parts_is_completed_without_an_empty_last_part(s3_store, key):
    data = pdf(2 * PART)
    with IncomingFile(s3_store, key, limit=len(data)) as incoming:
        arrive(incoming, data)
        incoming.finish()
        incoming.save("application/pdf")
    head = s3_store.client.head_object(Bucket=s3_store.bucket, Key=key, ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"].endswith("-2") and head["ContentLength"] == len(data)


@pytest.mark.s3
def test_a_file_no_larger_than_the_threshold_goes_up_whole_with_its_type(s3_store, key):
    data = pdf(PART)
    with IncomingFile(s3_store, key, limit=len(data)) as incoming:
        arrive(incoming, data)
        incoming.finish()
        assert unfinished_parts(s3_store, key) is None  # nothing sent early
        incoming.save("application/pdf")
    head = s3_store.client.head_object(Bucket=s3_store.bucket, Key=key, ChecksumMode="ENABLED")
    assert head["ContentType"] == "application/pdf"
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()


@pytest.mark.s3
def test_a_file_not_sent_early_goes_up_only_when_saved(s3_store, key):
    data = pdf(int(PART * 2.5))
    with IncomingFile(s3_store, key, limit=len(data), send_early=False) as incoming:
        arrive(incoming, data)
        incoming.finish()
        assert unfinished_parts(s3_store, key) is None
        incoming.save("application/pdf")
    with s3_store.open(key) as stored:
        assert hashlib.sha256(stored.read()).digest() == hashlib.sha256(data).digest()
    head = s3_store.client.head_object(Bucket=s3_store.bucket, Key=key)
    assert head["Metadata"] == {"sha256": hashlib.sha256(data).hexdigest()}


@pytest.mark.s3
def test_a_file_closed_without_being_saved_is_aborted(s3_store, key):
    store, client = recording(s3_store)
    incoming = IncomingFile(store, key, limit=10 * PART)
    arrive(incoming, pdf(int(PART * 2.5)))
    assert client.wait_for(2) == [1, 2]
    incoming.close()  # the request ended without the file being kept
    assert unfinished_parts(s3_store, key) is None
    assert not s3_store.exists(key)


@pytest.mark.s3
def test_a_file_past_the_limit_is_aborted_as_it_passes_and_nothing_more_is_sent(s3_store, key):
    data = pdf(4 * PART)
    store, client = recording(s3_store)
    with IncomingFile(store, key, limit=int(PART * 2.5)) as incoming:
        arrive(incoming, data[: 2 * PART + 1])
        assert client.wait_for(2) == [1, 2]
        arrive(incoming, data[2 * PART + 1 :])
        assert unfinished_parts(s3_store, key) is None  # aborted before the request ends
        assert sorted(client.taken) == [1, 2]  # and nothing more was sent
        incoming.finish()
        assert incoming.size == len(data)  # still counted, for the message
    assert unfinished_parts(s3_store, key) is None
    assert not s3_store.exists(key)


class DamagesPartTwo:
    """The real client, except that part 2 arrives damaged (its bytes and checksum differ)."""

    def __init__(self, client: object) -> None:
        self.client = client

    def __getattr__(self, name: str) -> object:
        return getattr(self.client, name)

    def upload_part(self, **request: object) -> object:
        if request["PartNumber"] == 2:
            request["ChecksumSHA256"] = base64.b64encode(hashlib.sha256(b"x").digest()).decode()
        return self.client.upload_part(**request)


@pytest.mark.s3
def test_a_part_the_store_refuses_fails_the_save_and_aborts_the_upload(s3_store, key):
    damaging = S3DocumentStore(
        DamagesPartTwo(s3_store.client), s3_store.bucket, multipart_threshold=PART, part_size=PART
    )
    with IncomingFile(damaging, key, limit=10 * PART) as incoming:
        arrive(incoming, pdf(int(PART * 3.5)))
        incoming.finish()
        with pytest.raises(StorageError, match="BadDigest"):
            incoming.save("application/pdf")
    assert unfinished_parts(s3_store, key) is None
    assert not s3_store.exists(key)


@pytest.mark.s3
def test_a_store_that_is_down_fails_the_save_not_the_arrival(s3_store, key):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, not listening: every connection is refused
        down = S3DocumentStore(
            make_client(
                endpoint_url=f"http://127.0.0.1:{closed.getsockname()[1]}",
                access_key_id="AKIAUNKNOWNKEY000000",
                secret_access_key="unused",
                connect_timeout=1,
                read_timeout=1,
                max_attempts=1,
            ),
            s3_store.bucket,
            multipart_threshold=PART,
            part_size=PART,
        )
        data = pdf(int(PART * 2.5))
        with IncomingFile(down, key, limit=len(data)) as incoming:
            arrive(incoming, data)  # the file still arrives in full, to be checked first
            incoming.finish()
            assert incoming.sha256_hex == hashlib.sha256(data).hexdigest()
            with pytest.raises(StorageError, match="could not be reached"):
                incoming.save("application/pdf")
