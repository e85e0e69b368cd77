"""multipart/related bodies (PS3.18 8.6): built for WADO-RS, read for STOW-RS."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Iterator

CHUNK = 256 * 1024


def new_boundary() -> str:
    return f"radbridge-{secrets.token_hex(12)}"


def content_type(boundary: str, part_type: str) -> str:
    return f'multipart/related; type="{part_type}"; boundary={boundary}'


def stream(parts: Iterable[tuple[str, Iterable[bytes]]], boundary: str) -> Iterator[bytes]:
    """Yield the body for (part content type, chunks of its bytes) pairs, lazily."""
    for part_type, chunks in parts:
        yield f"--{boundary}\r\nContent-Type: {part_type}\r\n\r\n".encode()
        yield from chunks
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def file_chunks(opened) -> Iterator[bytes]:
    with opened as source:
        while chunk := source.read(CHUNK):
            yield chunk


class BadMultipart(ValueError):
    """The upload is not a multipart/related body we can read; the message says why."""


def boundary_of(header: str) -> str:
    if not header.lower().startswith("multipart/related"):
        raise BadMultipart(f"Content-Type {header!r} is not multipart/related")
    match = re.search(r'boundary="?([^";]+)"?', header, re.IGNORECASE)
    if match is None:
        raise BadMultipart("the Content-Type names no boundary")
    return match.group(1)


def parts(body: bytes, boundary: str) -> list[tuple[dict[str, str], bytes]]:
    """Split a body into (headers, content) parts."""
    delimiter = b"--" + boundary.encode("latin-1")
    pieces = body.split(delimiter)
    if len(pieces) < 3:
        raise BadMultipart("the body holds no part delimited by its boundary")
    found = []
    for piece in pieces[1:]:
        if piece.startswith(b"--"):
            break  # the close delimiter
        head, separator, content = piece.partition(b"\r\n\r\n")
        if not separator:
            raise BadMultipart("a part has no blank line between its headers and content")
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        found.append((headers, content[:-2] if content.endswith(b"\r\n") else content))
    return found
