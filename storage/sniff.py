"""Decide what a file is from its content, never from its name or the browser's header.

Each recognised type needs both its magic bytes and a structural check to pass (a PDF must end
with %%EOF, a DOCX must be a ZIP holding word/document.xml, and so on), so a renamed or
truncated file is not mistaken for what it pretends to be. ZIP containers are checked for
bombs before anything reads inside them.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 10_000
NOT_ACCEPTED = "The file is not a type we accept"


@dataclass(frozen=True)
class FileType:
    code: str
    label: str
    mime: str
    extension: str


PDF = FileType("pdf", "PDF", "application/pdf", "pdf")
DOCX = FileType(
    "docx",
    "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
)
XLSX = FileType(
    "xlsx",
    "Excel spreadsheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsx",
)
ODT = FileType("odt", "OpenDocument text", "application/vnd.oasis.opendocument.text", "odt")
ODS = FileType(
    "ods", "OpenDocument spreadsheet", "application/vnd.oasis.opendocument.spreadsheet", "ods"
)
PNG = FileType("png", "PNG image", "image/png", "png")
JPEG = FileType("jpeg", "JPEG image", "image/jpeg", "jpg")
GIF = FileType("gif", "GIF image", "image/gif", "gif")
CSV = FileType("csv", "CSV file", "text/csv", "csv")
ZIP = FileType("zip", "ZIP archive", "application/zip", "zip")
ALL_TYPES = (PDF, DOCX, XLSX, ODT, ODS, PNG, JPEG, GIF, CSV, ZIP)


class Unrecognised(Exception):
    """Not a type we accept, or damaged; the message says so in plain words."""


class ZipBomb(Unrecognised):
    pass


def sniff(stream: BinaryIO, size: int) -> FileType:
    """The file's type. ``stream`` must be seekable; it is left at the start."""
    stream.seek(0)
    head = stream.read(8192)
    stream.seek(0)
    if size == 0:
        raise Unrecognised("The selected file is empty")
    try:
        if head.startswith(b"%PDF-"):
            return _pdf(stream, size)
        if head.startswith(b"PK\x03\x04"):
            return _zip_container(stream)
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return _png(stream, size)
        if head.startswith(b"\xff\xd8\xff"):
            return _jpeg(stream, size)
        if head.startswith((b"GIF87a", b"GIF89a")):
            return _gif(stream, size)
        return _csv(stream, size)
    finally:
        stream.seek(0)


def _tail(stream: BinaryIO, size: int, length: int = 1024) -> bytes:
    stream.seek(max(0, size - length))
    return stream.read(length)


def _pdf(stream: BinaryIO, size: int) -> FileType:
    if b"%%EOF" not in _tail(stream, size):
        raise Unrecognised("The PDF is damaged or incomplete")
    return PDF


def _png(stream: BinaryIO, size: int) -> FileType:
    if not _tail(stream, size, 12).endswith(b"IEND\xaeB`\x82"):
        raise Unrecognised("The PNG image is damaged or incomplete")
    return PNG


def _jpeg(stream: BinaryIO, size: int) -> FileType:
    if b"\xff\xd9" not in _tail(stream, size, 64):
        raise Unrecognised("The JPEG image is damaged or incomplete")
    return JPEG


def _gif(stream: BinaryIO, size: int) -> FileType:
    if not _tail(stream, size, 1).endswith(b";"):
        raise Unrecognised("The GIF image is damaged or incomplete")
    return GIF


def _zip_container(stream: BinaryIO) -> FileType:
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile as exc:
        raise Unrecognised("The file is damaged or incomplete") from exc
    with archive:
        members = archive.infolist()
        check_not_a_bomb(members)
        names = {member.filename for member in members}
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return DOCX
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return XLSX
        if "mimetype" in names:
            mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
            if mimetype == ODT.mime:
                return ODT
            if mimetype == ODS.mime:
                return ODS
        return ZIP


def check_not_a_bomb(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise ZipBomb("The archive holds too many files")
    total = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members) or 1
    if total > MAX_UNCOMPRESSED or total / packed > MAX_RATIO:
        raise ZipBomb("The archive expands to far more than its size, so it was refused")
    for member in members:
        if member.filename.startswith("/") or ".." in member.filename.split("/"):
            raise Unrecognised("The archive holds files with unsafe names")


def _csv(stream: BinaryIO, size: int) -> FileType:
    """UTF-8 text whose rows all have the same number of columns (two or more)."""
    sample = stream.read(min(size, 64 * 1024))
    complete = size <= len(sample)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        text = decoder.decode(sample, final=complete)  # a cut multibyte character waits
    except UnicodeDecodeError as exc:
        raise Unrecognised(NOT_ACCEPTED) from exc
    if "\x00" in text or not text.strip():
        raise Unrecognised(NOT_ACCEPTED)
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    if not complete:
        rows = rows[:-1]  # the sample may end part-way through a row
    widths = {len(row) for row in rows}
    if len(widths) != 1 or widths == {1}:
        raise Unrecognised(NOT_ACCEPTED)
    return CSV
