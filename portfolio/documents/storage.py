"""Where the files live: a small interface with two stores, both addressed by the file's SHA-256.

- ``LocalStore`` (the default): a folder under ``instance/`` (``DOCUMENT_DIR``), one file per content at
  ``ab/abcdef…``; written to a temporary name in the same folder and renamed into place, so a reader never
  sees half a file.
- ``S3Store``: an S3-compatible bucket (``DOCUMENT_S3_BUCKET``, ``DOCUMENT_S3_ENDPOINT``…) through boto3,
  for several application hosts sharing the files.

Uploads are first streamed to a staging file while their hash and size are computed (``stage``), checked,
and only then put in the store. The same content twice is stored once. Pure: no Flask, no database.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from portfolio.documents.sniff import Refused

CHUNK = 256 * 1024
SHA256_HEX = frozenset("0123456789abcdef")


def blob_key(sha256: str) -> str:
    if len(sha256) != 64 or not set(sha256) <= SHA256_HEX:
        raise ValueError("not a SHA-256 hex digest")
    return f"{sha256[:2]}/{sha256}"


@dataclass
class Staged:
    """An upload copied to a staging file: its path, SHA-256 and size. ``discard()`` removes the file."""

    path: Path
    sha256: str
    size: int

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def stage(stream: BinaryIO, directory: Path, max_bytes: int) -> Staged:
    """Copy ``stream`` to a new file in ``directory``, hashing it; refuse (and leave nothing) past ``max_bytes``."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="subida-", dir=directory)
    path, digest, size = Path(name), hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise Refused(f"El archivo supera el tamaño máximo ({max_bytes // (1024 * 1024)} MB).", field="file")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Staged(path, digest.hexdigest(), size)


class Store(Protocol):
    name: str

    def staging(self) -> Path: ...
    def exists(self, sha256: str) -> bool: ...
    def put(self, sha256: str, path: Path, content_type: str) -> bool: ...  # True when newly written
    def open(self, sha256: str) -> Iterator[bytes]: ...
    def delete(self, sha256: str) -> None: ...
    def local_path(self, sha256: str) -> Path | None: ...


class LocalStore:
    name = "local"

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        return self.root / blob_key(sha256)

    def staging(self) -> Path:
        return self.root / "tmp"

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def put(self, sha256: str, path: Path, content_type: str) -> bool:
        target = self._path(sha256)
        if target.is_file():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".escribiendo-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out, path.open("rb") as src:
                while chunk := src.read(CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o440)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return True

    def open(self, sha256: str) -> Iterator[bytes]:
        with self._path(sha256).open("rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk

    def delete(self, sha256: str) -> None:
        self._path(sha256).unlink(missing_ok=True)

    def local_path(self, sha256: str) -> Path | None:
        return self._path(sha256)


class S3Store:
    """An S3-compatible bucket. Objects are keyed ``documentos/ab/abcdef…`` and carry their SHA-256 as
    metadata; a put sends the content's MD5 so the server refuses a corrupted transfer."""

    name = "s3"

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None,
                 access_key: str | None = None, secret_key: str | None = None, prefix: str = "documentos/",
                 staging: Path | str | None = None):
        import boto3
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region or "us-east-1",
                                   aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                   config=Config(retries={"max_attempts": 3, "mode": "standard"},
                                                 connect_timeout=5, read_timeout=30))
        self._staging = Path(staging or tempfile.gettempdir()) / "portfolio-documentos"

    def staging(self) -> Path:
        return self._staging

    def _key(self, sha256: str) -> str:
        return self.prefix + blob_key(sha256)

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(sha256))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def put(self, sha256: str, path: Path, content_type: str) -> bool:
        import base64

        if self.exists(sha256):
            return False
        md5 = hashlib.md5(usedforsecurity=False)
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                md5.update(chunk)
        with path.open("rb") as fh:
            self.client.put_object(Bucket=self.bucket, Key=self._key(sha256), Body=fh, ContentType=content_type,
                                   ContentMD5=base64.b64encode(md5.digest()).decode(), Metadata={"sha256": sha256})
        return True

    def open(self, sha256: str) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(sha256))

    def local_path(self, sha256: str) -> Path | None:
        return None


def from_config(config) -> Store:
    """The store the configuration names (``DOCUMENT_STORE`` = local | s3)."""
    if config.get("DOCUMENT_STORE", "local") == "s3":
        return S3Store(config["DOCUMENT_S3_BUCKET"], endpoint_url=config.get("DOCUMENT_S3_ENDPOINT") or None,
                       region=config.get("DOCUMENT_S3_REGION") or None,
                       access_key=config.get("DOCUMENT_S3_ACCESS_KEY") or None,
                       secret_key=config.get("DOCUMENT_S3_SECRET_KEY") or None,
                       prefix=config.get("DOCUMENT_S3_PREFIX", "documentos/"),
                       staging=config.get("DOCUMENT_STAGING_DIR") or None)
    return LocalStore(config["DOCUMENT_DIR"])
