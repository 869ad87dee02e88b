"""Documents in any S3-compatible store (AWS S3, MinIO, Ceph RGW, SeaweedFS) through boto3.

Small objects go up in one PUT carrying their SHA-256. Large ones go up as a multipart upload
with parts sent in parallel: S3 has no whole-object SHA-256 for multipart uploads (only CRCs can
be "full object"), so every part carries its own SHA-256, which the store checks, and the store
hashes the parts in order as it sends them and completes the upload only if they add up to the
SHA-256 the caller recorded. Both paths write once (``IfNoneMatch``), and a multipart upload
that fails for any reason is aborted.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import unicodedata
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
# Parts in flight at once. Each is held in memory while it is sent, so an upload holds at most
# PART_CONCURRENCY x PART_SIZE of the file (32 MiB) whatever its size.
PART_CONCURRENCY = 4


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
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        region_name=region,
        config=config,
    )


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
        try:
            if size > self.multipart_threshold:
                self._put_multipart(key, data, size, sha256_hex, content_type)
            else:
                self._put_single(key, data, size, sha256_hex, content_type)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in {"PreconditionFailed", "ConditionalRequestConflict"}:
                raise ObjectExists(key) from exc
            raise StorageError(f"the document store refused the upload ({code})") from exc
        except BotoCoreError as exc:
            raise StorageError(f"the document store could not be reached ({exc})") from exc

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
        upload_id = self.client.create_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            ContentType=content_type,
            ChecksumAlgorithm="SHA256",
            # The object's own checksum is a SHA-256 of the parts' SHA-256s: keep the file's.
            Metadata={"sha256": sha256_hex},
        )["UploadId"]
        try:
            parts = self._upload_parts(key, upload_id, data, size, sha256_hex)
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                # Write once here too: the store refuses to complete over an existing key.
                IfNoneMatch="*",
            )
        except BaseException:
            self._abort(key, upload_id)
            raise

    def _upload_parts(
        self, key: str, upload_id: str, data: BinaryIO, size: int, sha256_hex: str
    ) -> list[dict[str, Any]]:
        """Read the parts in order (hashing the whole file on the way) and send them in
        parallel, holding no more than ``part_concurrency`` of them in memory at once."""
        whole = hashlib.sha256()
        free_slots = threading.Semaphore(self.part_concurrency)
        sent: list[Future[dict[str, Any]]] = []
        failed = threading.Event()

        def settle(future: Future[dict[str, Any]]) -> None:
            if future.cancelled() or future.exception() is not None:
                failed.set()
            free_slots.release()

        with ThreadPoolExecutor(self.part_concurrency, thread_name_prefix="s3-part") as pool:
            try:
                remaining, number = size, 0
                while remaining and not failed.is_set():
                    free_slots.acquire()
                    if failed.is_set():
                        break
                    body = _read_exactly(data, min(self.part_size, remaining))
                    whole.update(body)
                    remaining -= len(body)
                    number += 1
                    future = pool.submit(self._upload_part, key, upload_id, number, body)
                    del body  # the part is the worker's now: freed as soon as it is sent
                    future.add_done_callback(settle)
                    sent.append(future)
            except BaseException:
                for future in sent:
                    future.cancel()
                raise
        # Raise the first part's failure, if any (they are all finished now).
        parts = [future.result() for future in sent]
        if whole.hexdigest() != sha256_hex:
            raise StorageError(
                "the document store refused the upload (BadDigest: the parts sent do not "
                "match the file's SHA-256)"
            )
        return parts

    def _upload_part(self, key: str, upload_id: str, number: int, body: bytes) -> dict[str, Any]:
        checksum = _base64(hashlib.sha256(body).digest())
        response = self.client.upload_part(
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            Body=body,
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


def _base64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def _read_exactly(data: BinaryIO, count: int) -> bytes:
    """``count`` bytes, or StorageError if the stream ends first (it was shorter than said)."""
    chunks, wanted = [], count
    while wanted:
        chunk = data.read(wanted)
        if not chunk:
            raise StorageError(f"the file ended {wanted} bytes before its stated size")
        chunks.append(chunk)
        wanted -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


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
