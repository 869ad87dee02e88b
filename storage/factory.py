"""Choose the document store from configuration: S3-compatible when configured, else local."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storage.base import DocumentStore
from storage.local import LocalDocumentStore


def store_from_config(config: Mapping[str, Any]) -> DocumentStore:
    if config.get("S3_BUCKET"):
        from storage.s3 import S3DocumentStore, make_client

        client = make_client(
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            access_key_id=config.get("S3_ACCESS_KEY_ID"),
            secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
            region=config.get("S3_REGION", "us-east-1"),
            addressing_style=config.get("S3_ADDRESSING_STYLE", "path"),
            connect_timeout=config.get("S3_CONNECT_TIMEOUT", 3),
            read_timeout=config.get("S3_READ_TIMEOUT", 15),
            max_attempts=config.get("S3_MAX_ATTEMPTS", 2),
        )
        return S3DocumentStore(client, config["S3_BUCKET"])
    return LocalDocumentStore(config["DOCUMENTS_DIR"])
