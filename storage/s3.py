"""Documents in any S3-compatible store (AWS S3, MinIO, Ceph RGW, SeaweedFS) through boto3.

Small objects go up in one PUT carrying their SHA-256. Large ones go up as a multipart upload
with parts sent side by side: S3 has no whole-object SHA-256 for multipart uploads (only CRCs
can be "full object"), so every part carries its own SHA-256, which the store checks. ``put``
hashes the whole file again while the parts go up: the upload is completed only if that matches
the SHA-256 the caller recorded. ``begin_parts`` starts an upload whose parts are sent as they
become available (storage.incoming sends an upload's parts while its request still arrives,
each with the SHA-256 of the bytes as they arrived). Both paths write once (``IfNoneMatch``),
and a multipart upload that fails for any reason is aborted.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from typing import Any, BinaryIO
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from storage.base import ObjectExists, StorageError, StoredObject

log = logging.getLogger(__name__)

MIB = 1024 * 1024
# S3 refuses parts under 5 MiB (except the last), and SeaweedFS enforces it too.
MIN_PART_SIZE = 5 * MIB
MULTIPART_THRESHOLD = 16 * MIB
PART_SIZE = 8 * MIB
# Parts sent at once. Each is read from the file as it is sent, not held in memory.
PART_CONCURRENCY = 4
CHUNK = 1 * MIB


def make_client(
    *,
    endpoint_url: str | None,
    access_key_id: str | None,
    secret_access_key: str | None,
    region: str = "us-east-1",
    addressing_style: str = "path",
    connect_timeout: float = 3,
    read_timeout: float = 20,
    max_attempts: int = 3,
) -> Any:
    """A client with an explicit time budget: botocore's defaults wait minutes on a dead store.

    A frozen store costs up to ``max_attempts`` x (``connect_timeout`` + 1 s waiting for
    "100 Continue" on uploads + ``read_timeout``), plus a short back-off between attempts.
    """
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": addressing_style},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        # total_max_attempts counts the first request; botocore's "max_attempts" here would
        # count only the retries (one attempt more than asked for).
        retries={"total_max_attempts": max_attempts, "mode": "standard"},
    )
    client = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        region_name=region,
        config=config,
    )
    _sign_uploads_by_their_checksum(client)
    return client


def _sign_uploads_by_their_checksum(client: Any) -> None:
    """An upload (PutObject, UploadPart) here carries its SHA-256 in the x-amz-checksum-sha256
    header, which is signed and which the store checks against the body. Over https botocore
    then leaves the body out of the signature; over plain http it hashes every body a second
    time only to sign it. Do for those uploads over http what is done over https; every other
    request, and any upload without that checksum, is signed as before."""
    config = client.meta.config
    unsigned = config.merge(Config(s3={**(config.s3 or {}), "payload_signing_enabled": False}))

    def sign_by_checksum(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if "x-amz-checksum-sha256" in params.get("headers", {}):
            context["client_config"] = unsigned  # the signer reads this request's copy

    for operation in ("PutObject", "UploadPart"):
        client.meta.events.register(f"before-call.s3.{operation}", sign_by_checksum)


class S3DocumentStore:
    def __init__(
        self,
        client: Any,
        bucket: str,
        *,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        part_size: int = PART_SIZE,
        part_concurrency: int = PART_CONCURRENCY,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes")
        self.client = client
        self.bucket = bucket
        self.multipart_threshold = max(multipart_threshold, part_size)
        self.part_size = part_size
        self.part_concurrency = max(part_concurrency, 1)

    def put(
        self, key: str, data: BinaryIO, *, size: int, sha256_hex: str, content_type: str
    ) -> None:
        with _storage_errors(key):
            if size > self.multipart_threshold:
                self._put_multipart(key, data, size, sha256_hex, content_type)
            else:
                self._put_single(key, data, size, sha256_hex, content_type)

    def begin_parts(
        self, key: str, content_type: str, *, sha256_hex: str | None = None
    ) -> MultipartUpload:
        """Start a multipart upload of ``key``, to send its parts as they become available."""
        with _storage_errors(key):
            upload_id = self.client.create_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                ContentType=content_type,
                ChecksumAlgorithm="SHA256",
                # The object's own checksum is a SHA-256 of its parts' SHA-256s: keep the
                # file's own with it, when it is known before the first part goes up.
                **({"Metadata": {"sha256": sha256_hex}} if sha256_hex else {}),
            )["UploadId"]
        return MultipartUpload(self, key, upload_id)

    def _put_single(
        self, key: str, data: BinaryIO, size: int, sha256_hex: str, content_type: str
    ) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentLength=size,
            ContentType=content_type,
            ChecksumSHA256=_base64(bytes.fromhex(sha256_hex)),
            IfNoneMatch="*",  # write once: the store refuses to replace an existing key
        )

    def _put_multipart(
        self, key: str, data: BinaryIO, size: int, sha256_hex: str, content_type: str
    ) -> None:
        """Send the parts side by side, each read from the file as it goes (no part is held
        in memory), while this thread hashes the whole file in order: the upload is completed
        only if that matches ``sha256_hex``."""
        with ExitStack() as cleanup:
            fd, start = _file_descriptor(data, size, cleanup)
            upload = self.begin_parts(key, content_type, sha256_hex=sha256_hex)
            try:
                for offset in range(0, size, self.part_size):
                    upload.send(fd, start + offset, min(self.part_size, size - offset))
                whole = _sha256(_Window(fd, start, size), stop=upload.failing)
                if not upload.failing.is_set() and whole != sha256_hex:
                    raise StorageError(
                        "the document store refused the upload (BadDigest: the file no "
                        "longer matches its SHA-256)"
                    )
                upload.complete()
            except BaseException:
                upload.abort()
                raise

    def _upload_part(
        self, key: str, upload_id: str, number: int, part: _Window, sha256: bytes | None
    ) -> dict[str, Any]:
        checksum = _base64(sha256 or bytes.fromhex(_sha256(part)))
        part.seek(0)
        response = self.client.upload_part(
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            Body=part,
            ContentLength=len(part),
            ChecksumSHA256=checksum,  # the store refuses the part if its bytes differ
        )
        return {"PartNumber": number, "ETag": response["ETag"], "ChecksumSHA256": checksum}

    def _abort(self, key: str, upload_id: str) -> None:
        """Best effort: a store that cannot be reached cannot be told either. Its parts are
        then left for the bucket's AbortIncompleteMultipartUpload lifecycle rule."""
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except (ClientError, BotoCoreError) as exc:
            log.warning("could not abort the multipart upload of %s: %s", key, exc)

    def open(self, key: str) -> BinaryIO:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"could not read {key!r}") from exc

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"could not delete {key!r}") from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise StorageError(f"could not check {key!r}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"could not check {key!r}") from exc
        return True

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield StoredObject(item["Key"], item["Size"], item["LastModified"])
        except (ClientError, BotoCoreError) as exc:
            raise StorageError("could not list the document store") from exc

    def download_url(self, key: str, filename: str, content_type: str, seconds: int) -> str | None:
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": content_disposition(filename),
                "ResponseContentType": content_type,
            },
            ExpiresIn=seconds,
        )


class MultipartUpload:
    """One multipart upload: parts go up side by side (``part_concurrency`` at a time) as they
    are handed over, each read from its file as it is sent, so none is held in memory. The
    first failure stops it: later parts are not sent, those not yet started are cancelled, and
    it is aborted. Completed at most once, with ``If-None-Match: *`` (write once)."""

    def __init__(self, store: S3DocumentStore, key: str, upload_id: str) -> None:
        self.key = key
        self._store, self._upload_id = store, upload_id
        self._pool = ThreadPoolExecutor(store.part_concurrency, thread_name_prefix="s3-part")
        self._parts: list[Future[dict[str, Any]]] = []
        self.failing = threading.Event()  # a part failed, or the upload was aborted
        self._open = True

    def send(self, fd: int, start: int, length: int, sha256: bytes | None = None) -> None:
        if self.failing.is_set():
            return  # complete() reports the failure; abort() cleans up
        number = len(self._parts) + 1
        part = _Window(fd, start, length)
        future = self._pool.submit(
            self._store._upload_part, self.key, self._upload_id, number, part, sha256
        )
        future.add_done_callback(self._note_failure)
        self._parts.append(future)

    def _note_failure(self, future: Future[dict[str, Any]]) -> None:
        if not future.cancelled() and future.exception() is not None:
            self.failing.set()

    def complete(self) -> None:
        try:
            if not self._open:
                raise StorageError(f"the upload of {self.key!r} was aborted")
            with _storage_errors(self.key):
                wait(self._parts, return_when=FIRST_EXCEPTION)
                # wait() can return before the failed part's callback has run: ask the parts.
                for future in self._parts:
                    if future.done() and (failure := future.exception()) is not None:
                        raise failure
                self._store.client.complete_multipart_upload(
                    Bucket=self._store.bucket,
                    Key=self.key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": [future.result() for future in self._parts]},
                    # Write once here too: the store refuses to complete over an existing key.
                    IfNoneMatch="*",
                )
        except BaseException:
            self.abort()
            raise
        self._open = False
        self._pool.shutdown()

    def abort(self) -> None:
        """Cancel the parts not started, wait for those in flight (one landing after the abort
        would be kept), then abort; only once, and never after completing."""
        if not self._open:
            return
        self._open = False
        self.failing.set()
        self._pool.shutdown(cancel_futures=True)
        self._store._abort(self.key, self._upload_id)


@contextmanager
def _storage_errors(key: str) -> Iterator[None]:
    """boto3's errors as the store's own: a key that exists, a refusal, or no answer."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in {"PreconditionFailed", "ConditionalRequestConflict"}:
            raise ObjectExists(key) from exc
        raise StorageError(f"the document store refused the upload ({code})") from exc
    except BotoCoreError as exc:
        raise StorageError(f"the document store could not be reached ({exc})") from exc


def _base64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def _file_descriptor(data: BinaryIO, size: int, cleanup: ExitStack) -> tuple[int, int]:
    """A descriptor and offset to read the next ``size`` bytes of ``data`` from, copying it to
    a temporary file first only if it is not a file already (an upload is, on disk)."""
    try:
        fd = data.fileno()  # a spooled temporary file moves to disk here
        data.flush()  # so reading by descriptor sees everything written through the buffer
        return fd, data.tell()
    except (AttributeError, OSError, ValueError):
        copy = cleanup.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 (closed by cleanup)
        remaining = size
        while remaining and (chunk := data.read(min(CHUNK, remaining))):
            copy.write(chunk)
            remaining -= len(chunk)
        copy.flush()
        return copy.fileno(), 0


class _Window:
    """A read-only file object over ``length`` bytes of a file from ``start``, read with
    ``pread``: parts sent side by side from one file each have their own position, and none
    is held in memory."""

    def __init__(self, fd: int, start: int, length: int) -> None:
        self._fd, self._start, self._length, self._position = fd, start, length, 0

    def __len__(self) -> int:
        return self._length

    def read(self, size: int | None = -1) -> bytes:
        left = self._length - self._position
        if size is None or size < 0 or size > left:
            size = left
        if size == 0:
            return b""
        chunk = os.pread(self._fd, size, self._start + self._position)
        if not chunk:
            raise StorageError(f"the file ended {left} bytes before its stated size")
        self._position += len(chunk)
        return chunk

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}[whence]
        self._position = min(max(base + offset, 0), self._length)
        return self._position

    def tell(self) -> int:
        return self._position


def _sha256(window: _Window, stop: threading.Event | None = None) -> str:
    digest = hashlib.sha256()
    while (chunk := window.read(CHUNK)) and not (stop and stop.is_set()):
        digest.update(chunk)
    return digest.hexdigest()


def content_disposition(filename: str) -> str:
    """``attachment`` with the user's file name, safe in a header (RFC 6266).

    S3 echoes the value into the response header byte for byte, so a non-ASCII name would
    reach the browser as raw UTF-8 (shown garbled) and control characters would break the
    header. The plain ``filename`` is an ASCII fallback; ``filename*`` carries the exact name.
    """
    name = "".join(char for char in filename if char.isprintable()) or "document"
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = fallback.replace('"', "").replace("\\", "").strip()
    if not fallback or fallback.startswith("."):  # nothing left of the name but its extension
        fallback = "document" + fallback
    value = f'attachment; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value
