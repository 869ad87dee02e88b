"""Documents in any S3-compatible store (AWS S3, MinIO, Ceph RGW, SeaweedFS) through boto3."""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Iterator
from typing import Any, BinaryIO
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from storage.base import ObjectExists, StorageError, StoredObject


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
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def put(
        self, key: str, data: BinaryIO, *, size: int, sha256_hex: str, content_type: str
    ) -> None:
        checksum = base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii")
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentLength=size,
                ContentType=content_type,
                ChecksumSHA256=checksum,
                IfNoneMatch="*",  # write once: the store refuses to replace an existing key
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in {"PreconditionFailed", "ConditionalRequestConflict"}:
                raise ObjectExists(key) from exc
            raise StorageError(f"the document store refused the upload ({code})") from exc
        except BotoCoreError as exc:
            raise StorageError(f"the document store could not be reached ({exc})") from exc

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
