"""Fixtures for the expediente: a store in a temporary folder, real files of each format, hostile ones."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from portfolio.documents.storage import LocalStore, stage


def pdf_bytes(text: str = "Convenio de inversión", javascript: bool = False, attachment: bool = False) -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    pdf.docinfo["/Title"] = text
    if javascript:
        action = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")))
        pdf.Root.OpenAction = action
    if attachment:
        pdf.attachments["x.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00 programa")
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)  # hides dictionaries in object streams
    return out.getvalue()


def png_bytes(color=(200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def xlsx_bytes() -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.add_worksheet("Presupuesto").write_row(0, 0, ["Partida", "Monto", 1234.5])
    book.close()
    return out.getvalue()


def docx_bytes(extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
        z.writestr("word/document.xml", "<w:document><w:body><w:p>Propuesta</w:p></w:body></w:document>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


def zip_bomb_xlsx() -> bytes:
    """A real XLSX with one extra 300 MB member of zeros that compresses to a few hundred kB."""
    base = io.BytesIO(xlsx_bytes())
    out = io.BytesIO()
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            z.writestr(item, src.read(item))
        with z.open("xl/media/bomba.bin", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(300):
                member.write(block)
    return out.getvalue()


@pytest.fixture
def store(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "almacen")


@pytest.fixture
def staged(store):
    made = []

    def factory(data: bytes, max_bytes: int = 10 * 1024 * 1024):
        item = stage(io.BytesIO(data), store.staging(), max_bytes)
        made.append(item)
        return item

    yield factory
    for item in made:
        item.discard()


def stored_files(store: LocalStore) -> list[Path]:
    """Every content file in the store (the staging folder aside)."""
    return sorted(p for p in store.root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(store.root).parts)


from tests.projects.conftest import make_project, oxi  # noqa: E402,F401  (fixtures reused here)
from tests.trust.conftest import world  # noqa: E402,F401


@pytest.fixture
def app_store(app, tmp_path):
    """The app's document store pointed at a temporary folder for the test."""
    original = app.extensions["portfolio_documents"]
    app.extensions["portfolio_documents"] = LocalStore(tmp_path / "app-almacen")
    yield app.extensions["portfolio_documents"]
    app.extensions["portfolio_documents"] = original


def post_file(client, target: str, data: bytes, name: str, doc_type: str = "convenio", **fields):
    form = {"target": target, "doc_type": doc_type, "doc_date": "", "file": (io.BytesIO(data), name)}
    form.update(fields)
    form = {f"doc-{k}": v for k, v in form.items()}
    form["doc-csrf_token"] = client.csrf_token()
    return client.post("/documentos/subir", form, content_type="multipart/form-data", follow_redirects=True)
