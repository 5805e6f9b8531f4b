"""The bucket store against a real S3-compatible server: moto's standalone server (``moto[server]`` from PyPI),
started by the test on 127.0.0.1:5121 and spoken to over HTTP by boto3, like any S3 endpoint."""
from __future__ import annotations

import hashlib
import io
import socket
import subprocess
import sys
import time

import pytest

from portfolio import db
from portfolio.documents import queries, services
from portfolio.documents.cli import verify_store
from portfolio.documents.storage import S3Store, stage
from tests.documents.conftest import pdf_bytes, png_bytes
from tests.support import STAFF_ACTOR
from tests.trust.conftest import run

PORT = 5121


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def s3_endpoint():
    pytest.importorskip("moto.server")
    if not _free(PORT):
        pytest.fail(f"el puerto {PORT} está ocupado")
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(PORT)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while _free(PORT):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("el servidor S3 de prueba (moto) no arrancó")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{PORT}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def bucket_store(s3_endpoint, tmp_path):
    name = f"expediente-{time.monotonic_ns()}"
    store = S3Store(name, endpoint_url=s3_endpoint, access_key="prueba", secret_key="prueba", staging=tmp_path)
    store.client.create_bucket(Bucket=name)
    return store


def test_bucket_store_round_trip_dedupe_and_delete(bucket_store, tmp_path):
    data = png_bytes()
    item = stage(io.BytesIO(data), bucket_store.staging(), 10 * 1024 * 1024)
    assert not bucket_store.exists(item.sha256)
    assert bucket_store.put(item.sha256, item.path, "image/png") is True
    assert bucket_store.put(item.sha256, item.path, "image/png") is False  # same content: stored once
    assert b"".join(bucket_store.open(item.sha256)) == data
    head = bucket_store.client.head_object(Bucket=bucket_store.bucket, Key=bucket_store._key(item.sha256))
    assert head["Metadata"]["sha256"] == hashlib.sha256(data).hexdigest() and head["ContentType"] == "image/png"
    bucket_store.delete(item.sha256)
    assert not bucket_store.exists(item.sha256)
    item.discard()


def test_upload_service_on_the_bucket_and_rollback_removes_the_object(oxi, bucket_store):
    project = oxi.project()
    db.session.commit()
    data = pdf_bytes("convenio en el bucket")
    item = stage(io.BytesIO(data), bucket_store.staging(), 10 * 1024 * 1024)
    try:
        done = run(lambda: services.upload(owner_kind="project", owner_id=project.id, doc_type="convenio", staged=item,
                                           filename="convenio.pdf", store=bucket_store, actor=STAFF_ACTOR))
    finally:
        item.discard()
    assert b"".join(bucket_store.open(done.document.sha256)) == data
    assert queries.documents_for("project", project.id)[0].sha256 == hashlib.sha256(data).hexdigest()
    checked, problems = verify_store(bucket_store)
    assert checked >= 1 and problems == []

    other = stage(io.BytesIO(pdf_bytes("a medias")), bucket_store.staging(), 10 * 1024 * 1024)

    def fails_midway():
        services.upload(owner_kind="project", owner_id=project.id, doc_type="otro", staged=other,
                        filename="anexo.pdf", store=bucket_store, actor=STAFF_ACTOR)
        assert bucket_store.exists(other.sha256)
        raise services.DomainError("fallo simulado")

    with pytest.raises(services.DomainError):
        run(fails_midway)
    other.discard()
    assert not bucket_store.exists(other.sha256)
