"""Documents in a local directory: the embedded default."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from storage.base import ObjectExists, StorageError, StoredObject

CHUNK = 1024 * 1024


class LocalDocumentStore:
    def __init__(self, root: str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise StorageError(f"key {key!r} is outside the store")
        return path

    def put(
        self, key: str, data: BinaryIO, *, size: int, sha256_hex: str, content_type: str
    ) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, written = hashlib.sha256(), 0
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as temporary:
            try:
                while chunk := data.read(CHUNK):
                    digest.update(chunk)
                    written += len(chunk)
                    temporary.write(chunk)
                temporary.flush()
                os.fsync(temporary.fileno())
                if written != size or digest.hexdigest() != sha256_hex:
                    raise StorageError("the stored bytes do not match the upload's checksum")
                # A hard link fails if the name exists: write once, never overwrite.
                os.link(temporary.name, target)
            except FileExistsError as exc:
                raise ObjectExists(key) from exc
            finally:
                os.unlink(temporary.name)

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise StorageError(f"no object {key!r}") from exc

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        for path in sorted(self.root.rglob("*")):
            if not path.is_file():
                continue
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix):
                stat = path.stat()
                modified = dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC)
                yield StoredObject(key, stat.st_size, modified)

    def download_url(self, key: str, filename: str, content_type: str, seconds: int) -> str | None:
        return None  # the app streams local files itself
