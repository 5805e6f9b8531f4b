"""Hostile files through the upload page: each refused with a Spanish message, nothing stored (no row, no file,
no staging leftovers)."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from portfolio import db
from portfolio.documents.models import Document, DocumentBlob
from portfolio.documents.sniff import Limits, Refused, check_filename, identify
from tests.documents.conftest import docx_bytes, pdf_bytes, png_bytes, post_file, xlsx_bytes, zip_bomb_xlsx

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"This program cannot be run in DOS mode"
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 100
MACRO_DOCX = docx_bytes({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"})


def nothing_stored(app, store) -> bool:
    with app.app_context():
        rows = (db.session.scalar(select(func.count()).select_from(Document)),
                db.session.scalar(select(func.count()).select_from(DocumentBlob)))
    files = [p for p in store.root.rglob("*") if p.is_file()] if store.root.exists() else []
    return rows == (0, 0) and files == []


CASES = [
    ("renamed executable", EXE, "convenio.pdf", "programa de Windows"),
    ("ELF binary", ELF, "foto.png", "programa de Linux"),
    ("PDF with JavaScript", pdf_bytes(javascript=True), "convenio.pdf", "contiene JavaScript"),
    ("PDF with an embedded file", pdf_bytes(attachment=True), "convenio.pdf", "archivos incrustados"),
    ("zip bomb XLSX", zip_bomb_xlsx(), "presupuesto.xlsx", "bomba de compresión"),
    ("DOCX with macros", MACRO_DOCX, "informe.docx", "macros"),
    ("empty file", b"", "vacio.pdf", "vacío (0 bytes)"),
    ("over the limit", b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024), "grande.pdf", "supera el tamaño máximo (2 MB)"),
    ("path in the name", pdf_bytes(), "../../etc/convenio.pdf", "rutas"),
    ("control characters in the name", pdf_bytes(), "conv\x00enio\x1b.pdf", "caracteres de control"),
    ("right-to-left override in the name", pdf_bytes(), "convenio\u202efdp.exe", "caracteres de control"),
    ("HTML page", b"<html><script>alert(1)</script></html>", "convenio.pdf", "Tipo de archivo no admitido"),
    ("extension does not match", png_bytes(), "convenio.pdf", "el nombre termina en otra extensión"),
    ("damaged PNG", png_bytes()[:60], "foto.png", "dañada"),
]


@pytest.mark.parametrize(("what", "data", "name", "message"), CASES, ids=[c[0] for c in CASES])
def test_hostile_upload_is_refused_in_spanish_and_nothing_is_stored(app, app_store, login_as, make_project, what,
                                                                     data, name, message):
    app.config["DOCUMENT_MAX_MB"] = 2
    try:
        project = make_project()
        staff = login_as("staff")
        page = post_file(staff, f"project:{project['id']}", data, name)
    finally:
        app.config["DOCUMENT_MAX_MB"] = 10
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and message in text, text[text.find("alert"):][:400]
    assert nothing_stored(app, app_store)


def test_good_files_of_each_format_are_accepted(app, app_store, login_as, make_project):
    project = make_project()
    staff = login_as("staff")
    for data, name in ((pdf_bytes(), "convenio.pdf"), (png_bytes(), "foto.png"), (xlsx_bytes(), "metrado.xlsx"),
                       (docx_bytes(), "informe.docx")):
        page = post_file(staff, f"project:{project['id']}", data, name, doc_type="otro")
        assert f"Documento «{name}» adjuntado." in html.unescape(page.get_data(as_text=True))
    with app.app_context():
        formats = set(db.session.scalars(select(DocumentBlob.file_format)))
    assert formats == {"pdf", "png", "xlsx", "docx"}


def test_sniffing_reads_the_content_not_the_name(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(pdf_bytes())
    assert identify(path, "Convenio firmado.PDF") == "pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /J#61vaScript /JS (x) >> >> endobj")
    with pytest.raises(Refused, match="JavaScript"):  # a #xx-escaped name is still JavaScript
        identify(path, "a.pdf")
    path.write_bytes(b"%PDF-1.4\nbasura sin estructura")
    with pytest.raises(Refused, match="dañado"):
        identify(path, "a.pdf")
    path.write_bytes(zip_bomb_xlsx())
    with pytest.raises(Refused, match="bomba"):
        identify(path, "a.xlsx", Limits(max_bytes=50 * 1024 * 1024))
    for bad in ("", " ", ".oculto.pdf", "a/b.pdf", "a\\b.pdf", "x" * 151 + ".pdf"):
        with pytest.raises(Refused):
            check_filename(bad)
    assert check_filename("Acta de recepción Nº 3.pdf") == "Acta de recepción Nº 3.pdf"
