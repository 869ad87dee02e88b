"""The document store interface every backend implements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable


class StorageError(Exception):
    """The store could not do what was asked (unreachable, timed out, refused)."""


class ObjectExists(StorageError):
    """A key is written once; writing it again is refused."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    last_modified: dt.datetime


class DocumentStore(Protocol):
    """Objects are written once under random keys and never overwritten."""

    def put(
        self, key: str, data: BinaryIO, *, size: int, sha256_hex: str, content_type: str
    ) -> None:
        """Store ``size`` bytes from ``data`` under ``key``; the store checks the SHA-256."""

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the object."""

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "") -> Iterator[StoredObject]: ...

    def download_url(self, key: str, filename: str, content_type: str, seconds: int) -> str | None:
        """A short-lived URL the browser can fetch directly, or None to stream through the app."""


class PartUpload(Protocol):
    """A write under way in parts (an S3 multipart upload): nothing is stored until
    ``complete``; ``abort`` (or any failure) leaves nothing behind."""

    key: str

    def send(self, fd: int, start: int, length: int, sha256: bytes | None = None) -> None:
        """Send the next part: ``length`` bytes of the file ``fd`` from ``start``, read as it
        goes; the store checks them against ``sha256`` (computed from the part when None)."""

    def complete(self) -> None:
        """Wait for every part, then make the object (write once); aborts on any failure."""

    def abort(self) -> None: ...


@runtime_checkable
class PartedStore(Protocol):
    """A store that takes a large file in parts, so it can be sent while it still arrives."""

    multipart_threshold: int  # files larger than this go up in parts
    part_size: int

    def begin_parts(self, key: str, content_type: str) -> PartUpload: ...
