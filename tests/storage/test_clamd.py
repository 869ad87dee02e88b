"""The clamd client: a clean file is clean, the EICAR test string is found over a unix socket and
over TCP, and every other outcome (too large, unreachable, silent, garbled, partly scanned) is a
ScanError, never a clean verdict.

Tests marked ``clamd`` talk to the real clamd that scripts/test-services.sh starts with one
self-written signature (the EICAR test string); the rest use stand-ins that misbehave."""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from storage.clamd import CHUNK, Clamd, ScanError, StreamTooLarge

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Grants.Test.EICAR.UNOFFICIAL"  # clamd marks signatures not from ClamAV's own feed


def unix_clamd(**options) -> Clamd:
    return Clamd(socket_path=os.environ["CLAMD_SOCKET_TEST"], **options)


def tcp_clamd(**options) -> Clamd:
    return Clamd(host="127.0.0.1", port=int(os.environ["CLAMD_TCP_PORT_TEST"]), **options)


def scanner_limit() -> int:
    return int(os.environ["CLAMD_STREAM_MAX_BYTES_TEST"])


@pytest.mark.clamd
def test_clamd_answers_ping_on_both_transports():
    unix_clamd().ping()
    tcp_clamd().ping()


@pytest.mark.clamd
@pytest.mark.parametrize("connect", [unix_clamd, tcp_clamd], ids=["unix socket", "tcp"])
def test_a_clean_file_is_clean(connect):
    verdict = connect().scan(io.BytesIO(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"))
    assert verdict.clean and verdict.signature is None


@pytest.mark.clamd
@pytest.mark.parametrize("connect", [unix_clamd, tcp_clamd], ids=["unix socket", "tcp"])
def test_the_eicar_test_string_is_found(connect):
    verdict = connect().scan(io.BytesIO(b"%PDF-1.7\n" + EICAR + b"\n%%EOF\n"))
    assert not verdict.clean
    assert verdict.signature == SIGNATURE


@pytest.mark.clamd
def test_a_signature_split_across_chunks_is_still_found():
    data = b"a" * (CHUNK - 30) + EICAR + b"b" * (2 * CHUNK)
    assert unix_clamd().scan(io.BytesIO(data), size=len(data)).signature == SIGNATURE


@pytest.mark.clamd
def test_a_stream_past_clamds_limit_is_refused_by_clamd_not_passed():
    # The client is told clamd takes more than it does: clamd itself refuses the stream.
    client = unix_clamd(max_stream_bytes=4 * scanner_limit())
    with pytest.raises(StreamTooLarge):
        client.scan(io.BytesIO(b"a" * (scanner_limit() + 1)))
    with pytest.raises(StreamTooLarge):
        client.scan(io.BytesIO(b"a" * (3 * scanner_limit())))  # clamd hangs up mid-send
    unix_clamd().ping()  # and is none the worse for it


@pytest.mark.clamd
def test_a_stream_up_to_the_limit_is_scanned():
    data = b"a" * (scanner_limit() - len(EICAR)) + EICAR
    assert len(data) == scanner_limit()
    assert unix_clamd(max_stream_bytes=scanner_limit()).scan(io.BytesIO(data)).signature == (
        SIGNATURE
    )


@pytest.mark.clamd
@pytest.mark.s3
def test_in_an_s3_store_a_virus_is_moved_under_quarantine_and_a_clean_file_stays(
    app, ctx, monkeypatch
):
    from grants.models import ScanStatus
    from grants.services import documents
    from grants.services.scanning import scan_document
    from storage.s3 import S3DocumentStore, make_client
    from tests.conftest import make_member, make_organisation

    store = S3DocumentStore(
        make_client(
            endpoint_url=os.environ["TEST_S3_ENDPOINT_URL"],
            access_key_id=os.environ["TEST_S3_ACCESS_KEY_ID"],
            secret_access_key=os.environ["TEST_S3_SECRET_ACCESS_KEY"],
        ),
        os.environ["TEST_S3_BUCKET"],
    )
    monkeypatch.setitem(app.extensions, "document_store", store)
    monkeypatch.setitem(app.config, "CLAMD_SOCKET", os.environ["CLAMD_SOCKET_TEST"])
    monkeypatch.setitem(app.config, "CLAMD_MAX_STREAM_BYTES", scanner_limit())
    user = make_member(make_organisation(), "treasurer@example.org")
    keys = []
    try:
        infected, clean = (
            documents.upload(user, io.BytesIO(data), "x.pdf", organisation_id=None, purpose="other")
            for data in (b"%PDF-1.7\n" + EICAR + b"\n%%EOF\n", b"%PDF-1.7\n%%EOF\n")
        )
        original = infected.storage_key
        keys += [original, f"quarantine/{original}", clean.storage_key]
        assert scan_document(infected.id).status is ScanStatus.INFECTED
        assert scan_document(clean.id).status is ScanStatus.CLEAN
        assert not store.exists(original) and store.exists(f"quarantine/{original}")
        assert store.exists(clean.storage_key)
    finally:
        for key in keys:
            store.delete(key)


def test_a_stream_past_the_clients_limit_is_refused_before_anything_is_sent(tmp_path):
    # No scanner listens here: refusing by the size given never connects.
    client = Clamd(socket_path=str(tmp_path / "nobody.sock"), max_stream_bytes=10)
    with pytest.raises(StreamTooLarge, match="larger than"):
        client.scan(io.BytesIO(b"x" * 11), size=11)


def test_a_stream_of_unknown_size_is_cut_off_at_the_clients_limit():
    with answering_server(b"stream: OK\0") as port:
        client = Clamd(host="127.0.0.1", port=port, max_stream_bytes=CHUNK, timeout=1)
        with pytest.raises(StreamTooLarge):
            client.scan(io.BytesIO(b"x" * (CHUNK + 1)))


def test_a_missing_socket_is_a_scan_error(tmp_path):
    with pytest.raises(ScanError, match="could not be reached"):
        Clamd(socket_path=str(tmp_path / "clamd.sock")).scan(io.BytesIO(b"hello"))


def test_a_closed_port_is_a_scan_error():
    port = free_port()
    with pytest.raises(ScanError, match="could not be reached"):
        Clamd(host="127.0.0.1", port=port, connect_timeout=1).scan(io.BytesIO(b"hello"))


def test_a_scanner_that_never_answers_times_out():
    with silent_server() as port:
        client = Clamd(host="127.0.0.1", port=port, timeout=0.3)
        started = time.monotonic()
        with pytest.raises(ScanError, match=r"no answer within 0\.3 s"):
            client.scan(io.BytesIO(b"hello"))
        assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND\0", "could not scan the whole"),
        (b"INSTREAM size limit exceeded. ERROR\0", "too large"),
        (b"stream: lstat() failed. ERROR\0", "answered"),
        (b"stream:  FOUND\0", "answered"),
        (b"UNKNOWN COMMAND\0", "answered"),
        (b"stream: OK", "no complete answer"),  # cut off before its terminator
        (b"", "no complete answer"),
    ],
)
def test_any_other_answer_is_a_scan_error_never_clean(answer, message):
    with answering_server(answer) as port, pytest.raises(ScanError, match=message):
        Clamd(host="127.0.0.1", port=port, timeout=2).scan(io.BytesIO(b"hello"))


def test_either_a_socket_or_a_host_not_both():
    with pytest.raises(ValueError):
        Clamd(socket_path="/run/clamd.sock", host="127.0.0.1")
    with pytest.raises(ValueError):
        Clamd()


# Stand-ins for a misbehaving clamd ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def silent_server() -> Iterator[int]:
    """Listens and never accepts: connecting works (the kernel's backlog), nothing answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@contextmanager
def answering_server(answer: bytes) -> Iterator[int]:
    """Reads the INSTREAM to its end (or until the client hangs up), says ``answer``, hangs up."""

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            received = b""
            while not received.endswith(b"\0\0\0\0"):
                data = connection.recv(65536)
                if not data:
                    return
                received += data
            connection.sendall(answer)

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        yield listener.getsockname()[1]
        thread.join(timeout=5)
