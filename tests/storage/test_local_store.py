"""The local directory store: write once, checksum checked, keys stay inside the store."""

import hashlib
import io

import pytest

from storage.base import ObjectExists, StorageError
from storage.local import LocalDocumentStore

DATA = b"%PDF-1.7 constitution of the Saffron Lane Boxing Club"


def put(store, key, data=DATA, digest=None):
    store.put(
        key,
        io.BytesIO(data),
        size=len(data),
        sha256_hex=digest or hashlib.sha256(data).hexdigest(),
        content_type="application/pdf",
    )


def test_round_trip_and_listing(tmp_path):
    store = LocalDocumentStore(str(tmp_path))
    put(store, "documents/ab/cdef")
    assert store.exists("documents/ab/cdef")
    with store.open("documents/ab/cdef") as stream:
        assert stream.read() == DATA
    [listed] = list(store.list("documents/"))
    assert listed.key == "documents/ab/cdef" and listed.size == len(DATA)


def test_an_object_is_never_overwritten(tmp_path):
    store = LocalDocumentStore(str(tmp_path))
    put(store, "k")
    with pytest.raises(ObjectExists):
        put(store, "k", b"something else")
    with store.open("k") as stream:
        assert stream.read() == DATA


def test_a_wrong_checksum_stores_nothing(tmp_path):
    store = LocalDocumentStore(str(tmp_path))
    with pytest.raises(StorageError, match="checksum"):
        put(store, "k", digest="0" * 64)
    assert not store.exists("k")
    assert list(tmp_path.rglob("*.tmp*")) == []


def test_keys_cannot_escape_the_store(tmp_path):
    store = LocalDocumentStore(str(tmp_path / "store"))
    with pytest.raises(StorageError, match="outside the store"):
        put(store, "../escaped")
    assert not (tmp_path / "escaped").exists()


def test_delete_and_missing(tmp_path):
    store = LocalDocumentStore(str(tmp_path))
    put(store, "k")
    store.delete("k")
    assert not store.exists("k")
    with pytest.raises(StorageError):
        store.open("k")
    assert store.download_url("k", "a.pdf", "application/pdf", 60) is None
