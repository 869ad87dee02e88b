"""File types are decided by content: magic bytes and a structural check, never the name."""

import io
import zipfile

import pytest

from storage.sniff import CSV, DOCX, ODT, PDF, PNG, XLSX, ZIP, Unrecognised, ZipBomb, sniff

PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def kind(data: bytes):
    return sniff(io.BytesIO(data), len(data))


def zip_of(files: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_recognised_types():
    assert kind(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n") is PDF
    assert kind(PNG_BYTES) is PNG
    assert kind(b"name,amount\nYouth club,1250\nBoxing,900\n") is CSV
    assert kind(zip_of({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"})) is DOCX
    assert kind(zip_of({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<w/>"})) is XLSX
    assert kind(zip_of({"mimetype": b"application/vnd.oasis.opendocument.text"})) is ODT
    assert kind(zip_of({"notes.txt": b"hello"})) is ZIP


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.7 but cut off", "damaged or incomplete"),
        (b"MZ\x90\x00\x03 an executable", "not a type we accept"),
        (b"just some words with no columns", "not a type we accept"),
        (b"PK\x03\x04 not really a zip", "damaged or incomplete"),
        (PNG_BYTES[:-8], "damaged or incomplete"),
    ],
)
def test_refusals_say_why(data, message):
    with pytest.raises(Unrecognised, match=message):
        kind(data)


def test_a_zip_bomb_is_refused_before_it_is_read():
    bomb = zip_of({"zeros.bin": b"\0" * (50 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024
    with pytest.raises(ZipBomb, match="expands to far more"):
        kind(bomb)


def test_unsafe_names_inside_an_archive_are_refused():
    with pytest.raises(Unrecognised, match="unsafe names"):
        kind(zip_of({"../../etc/passwd": b"x"}))


def test_a_renamed_executable_is_not_a_pdf_whatever_its_name():
    data = b"MZ\x90\x00" + b"\x00" * 100
    with pytest.raises(Unrecognised):
        kind(data)
