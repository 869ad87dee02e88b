"""An uploaded file as it arrives: kept in a local temporary file while its size is counted and
its SHA-256 computed and, for a store that takes files in parts (S3), sent to the store part by
part as each part arrives, so that receiving the file and storing it overlap.

Nothing is kept until ``save``. The parts sent while the file arrives belong to an unfinished
multipart upload: ``save`` completes it, and ``close`` aborts it if it was not saved (as does
going past the size limit). The whole file is also kept locally until then, so whoever decides
whether to keep it (the size limit, the type by content, the zip-bomb checks) can read any of it
first; the parts are read back from that copy as they are sent, so none is held in memory.

Each part's SHA-256 is computed from the bytes as they arrive, and the store refuses a part
whose bytes differ: the object completed is exactly what arrived, and the file's SHA-256 is the
one recorded for it, with no second pass over the file.
"""

from __future__ import annotations

import hashlib
import io
import tempfile

from storage.base import DocumentStore, PartedStore, PartUpload, StorageError

IN_MEMORY = 1024 * 1024
# A file sent while it arrives is stored before its type is known (that needs the whole file):
# its object is typed as plain bytes. Downloads name the type from the document's row.
PARTS_CONTENT_TYPE = "application/octet-stream"


class IncomingFile(io.RawIOBase):
    """Written once, in order (as werkzeug writes a multipart form's file), then read back
    from anywhere once ``finish`` is called."""

    def __init__(
        self, store: DocumentStore, key: str, *, limit: int, send_early: bool = True
    ) -> None:
        super().__init__()
        self.store, self.key, self.limit = store, key, limit
        self.size = 0
        self._spool = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115 (closed by close())
        self._whole = hashlib.sha256()
        self._finished = self._saved = False
        # Sending early: the store, the parts' SHA-256s so far, the part being filled, how
        # many parts have been sent, and the upload they go to (begun past the threshold).
        self._parted = store if send_early and isinstance(store, PartedStore) else None
        self._digests: list[bytes] = []
        self._part, self._part_filled = hashlib.sha256(), 0
        self._sent = 0
        self._upload: PartUpload | None = None
        self._failure: StorageError | None = None

    @property
    def sha256_hex(self) -> str:
        return self._whole.hexdigest()

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return not self._finished

    def seekable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self._finished:
            raise ValueError("the file has been received")
        view = memoryview(data).cast("B")
        self._spool.write(view)
        self._whole.update(view)
        self.size += len(view)
        if self._parted is not None:
            self._send_parts(self._parted, view)
        return len(view)

    def _send_parts(self, store: PartedStore, view: memoryview) -> None:
        while view:
            piece = view[: store.part_size - self._part_filled]
            self._part.update(piece)
            self._part_filled += len(piece)
            view = view[len(piece) :]
            if self._part_filled == store.part_size:
                self._digests.append(self._part.digest())
                self._part, self._part_filled = hashlib.sha256(), 0
        if self.size > self.limit:
            self._stop_sending()  # it will be refused: store nothing of it
        elif self._upload is None and self.size > store.multipart_threshold:
            try:
                self._upload = store.begin_parts(self.key, PARTS_CONTENT_TYPE)
            except StorageError as failure:
                self._failure = failure  # reported by save(), after the file's own checks
                self._parted = None
        if self._upload is not None:
            self._send_whole_parts(store, self._upload)

    def _send_whole_parts(self, store: PartedStore, upload: PartUpload) -> None:
        if self._sent < len(self._digests):
            self._spool.flush()  # the parts are read from the file by descriptor
            fd = self._spool.fileno()
            while self._sent < len(self._digests):
                start = self._sent * store.part_size
                upload.send(fd, start, store.part_size, self._digests[self._sent])
                self._sent += 1

    def _stop_sending(self) -> None:
        self._parted = None
        if self._upload is not None:
            self._upload.abort()
            self._upload = None

    def finish(self) -> None:
        """The whole file has arrived: from now on it is read, not written."""
        self._finished = True
        self._spool.flush()
        self._spool.seek(0)

    def save(self, content_type: str) -> None:
        """Keep the file in the store under ``key``: complete the upload whose parts went up
        as it arrived (sending the last part now), or put the whole file, checked against
        its SHA-256. Raises StorageError if the store did not take it."""
        if not self._finished:
            raise ValueError("the file is still arriving")
        if self._failure is not None:
            raise self._failure
        if self._upload is not None and self._parted is not None:
            self._send_whole_parts(self._parted, self._upload)
            if self._part_filled:  # the last part, shorter than the others
                self._spool.flush()
                start, digest = self._sent * self._parted.part_size, self._part.digest()
                self._upload.send(self._spool.fileno(), start, self._part_filled, digest)
            self._upload.complete()
        else:
            self._spool.seek(0)
            self.store.put(
                self.key,
                self._spool,  # type: ignore[arg-type]  (a binary file)
                size=self.size,
                sha256_hex=self.sha256_hex,
                content_type=content_type,
            )
        self._saved = True

    def read(self, size: int | None = -1) -> bytes:
        return self._spool.read(-1 if size is None else size)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        data = self._spool.read(len(view))
        view[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._spool.seek(offset, whence)

    def tell(self) -> int:
        return self._spool.tell()

    def close(self) -> None:
        """Abort the parts sent if the file was not saved, and delete the local copy."""
        if self.closed:
            return
        try:
            if not self._saved:
                self._stop_sending()
        finally:
            self._spool.close()
            super().close()
