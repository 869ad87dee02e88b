"""A small client for ClamAV's clamd: a file is streamed to it with INSTREAM, over a unix socket
or TCP, in chunks and with explicit timeouts.

Only two answers are results: "stream: OK" (clean) and "stream: <signature> FOUND" (infected).
Everything else raises ``ScanError``: the scanner unreachable or too slow, the stream refused
("INSTREAM size limit exceeded"), the connection dropped, an answer we do not understand, or a
file clamd could not scan completely ("Heuristics.Limits.Exceeded..." with AlertExceedsMax). So a
caller can never take a failure for a clean file.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import Protocol

CHUNK = 64 * 1024
MAX_REPLY = 4096
# clamd's own default StreamMaxLength is 25 MB; set ours to what clamd.conf says.
DEFAULT_MAX_STREAM_BYTES = 25 * 1024 * 1024


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class ScanError(Exception):
    """The file could not be scanned. Never to be read as "clean"."""


class StreamTooLarge(ScanError):
    """The file is bigger than the scanner accepts: asking again will not help."""


@dataclass(frozen=True)
class Verdict:
    """What clamd found: nothing (clean) or the name of the signature that matched."""

    signature: str | None = None

    @property
    def clean(self) -> bool:
        return self.signature is None


CLEAN = Verdict()


class Clamd:
    def __init__(
        self,
        *,
        socket_path: str | None = None,
        host: str | None = None,
        port: int = 3310,
        connect_timeout: float = 2.0,
        timeout: float = 60.0,
        max_stream_bytes: int = DEFAULT_MAX_STREAM_BYTES,
    ) -> None:
        if bool(socket_path) == bool(host):
            raise ValueError("give clamd either a unix socket path or a host, not both")
        self.socket_path = socket_path
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        # Each send and each wait for the answer may take this long; clamd answers only once
        # the whole stream is scanned, so it must cover scanning the largest file allowed.
        self.timeout = timeout
        self.max_stream_bytes = max_stream_bytes

    @property
    def address(self) -> str:
        return self.socket_path if self.socket_path else f"{self.host}:{self.port}"

    def ping(self) -> None:
        """Raise ScanError unless clamd answers PONG."""
        with self._connect() as connection:
            self._send(connection, b"zPING\0")
            reply = self._reply(connection)
        if reply != "PONG":
            raise ScanError(f"clamd at {self.address} answered {reply!r} to PING")

    def scan(self, stream: Readable, size: int | None = None) -> Verdict:
        """Stream ``stream`` to clamd and return its verdict; ScanError for anything else.
        ``size``, when known, refuses an over-long file before anything is sent."""
        if size is not None and size > self.max_stream_bytes:
            raise self._too_large()
        with self._connect() as connection:
            self._send(connection, b"zINSTREAM\0")
            sent = 0
            try:
                while chunk := stream.read(CHUNK):
                    sent += len(chunk)
                    if sent > self.max_stream_bytes:
                        raise self._too_large()
                    connection.sendall(struct.pack("!L", len(chunk)) + chunk)
                connection.sendall(struct.pack("!L", 0))
            except TimeoutError as exc:
                raise ScanError(f"clamd at {self.address} stopped reading the file") from exc
            except OSError as exc:
                # clamd drops the connection when the stream passes its StreamMaxLength, after
                # saying so: read what it said before giving up.
                said = self._reply_after_failure(connection)
                if "size limit exceeded" in said:
                    raise self._too_large() from exc
                raise ScanError(
                    f"clamd at {self.address} closed the connection mid-file: {said or exc}"
                ) from exc
            reply = self._reply(connection)
        return _verdict(reply, self.address)

    def _too_large(self) -> StreamTooLarge:
        return StreamTooLarge(
            f"the file is larger than the {self.max_stream_bytes // (1024 * 1024)} MB "
            "the virus scanner accepts"
        )

    def _connect(self) -> socket.socket:
        try:
            if self.socket_path:
                connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                connection.settimeout(self.connect_timeout)
                try:
                    connection.connect(self.socket_path)
                except BaseException:
                    connection.close()
                    raise
            else:
                connection = socket.create_connection(
                    (self.host, self.port), timeout=self.connect_timeout
                )
        except OSError as exc:
            raise ScanError(f"clamd at {self.address} could not be reached: {exc}") from exc
        connection.settimeout(self.timeout)
        return connection

    def _send(self, connection: socket.socket, data: bytes) -> None:
        try:
            connection.sendall(data)
        except OSError as exc:
            raise ScanError(f"clamd at {self.address} could not be reached: {exc}") from exc

    def _reply(self, connection: socket.socket) -> str:
        """clamd's answer up to its NUL terminator (the z-prefixed commands' framing)."""
        reply = b""
        try:
            while b"\0" not in reply and len(reply) < MAX_REPLY:
                data = connection.recv(MAX_REPLY)
                if not data:
                    break
                reply += data
        except TimeoutError as exc:
            raise ScanError(
                f"clamd at {self.address} gave no answer within {self.timeout:g} s"
            ) from exc
        except OSError as exc:
            raise ScanError(f"clamd at {self.address} dropped the connection: {exc}") from exc
        if b"\0" not in reply:
            raise ScanError(f"clamd at {self.address} gave no complete answer: {reply[:200]!r}")
        return reply.split(b"\0", 1)[0].decode("utf-8", "replace").strip()

    def _reply_after_failure(self, connection: socket.socket) -> str:
        try:
            connection.settimeout(min(self.timeout, 1.0))
            return connection.recv(MAX_REPLY).split(b"\0", 1)[0].decode("utf-8", "replace")
        except OSError:
            return ""


def _verdict(reply: str, address: str) -> Verdict:
    if reply == "stream: OK":
        return CLEAN
    if reply.startswith("stream: ") and reply.endswith(" FOUND"):
        signature = reply[len("stream: ") : -len(" FOUND")].strip()
        if signature.startswith("Heuristics.Limits.Exceeded"):
            # Only part of the file was looked at: not a clean bill of health, nor a virus.
            raise ScanError(f"clamd at {address} could not scan the whole file ({signature})")
        if signature:
            return Verdict(signature)
    if "size limit exceeded" in reply:
        raise StreamTooLarge(f"clamd at {address} refused the stream as too large")
    raise ScanError(f"clamd at {address} answered {reply!r}")
