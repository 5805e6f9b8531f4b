"""Reading issued PDFs back with real tools: poppler's pdftotext and pdftoppm, and zbar's zbarimg for the QR."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import unavailable

NBSP = "\u00a0"


def need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        unavailable(f"{tool} no está instalado (apt-get install {package})")
    return path


def pdf_text(data: bytes, folder: Path) -> str:
    """The text of the PDF as laid out (pdftotext -layout), with no-break spaces as plain spaces."""
    path = folder / "documento.pdf"
    path.write_bytes(data)
    out = subprocess.run([need("pdftotext", "poppler-utils"), "-layout", str(path), "-"], check=True,
                         capture_output=True, text=True, timeout=60).stdout
    return out.replace(NBSP, " ")


def qr_codes(data: bytes, folder: Path, page: int = 1) -> list[str]:
    """Every QR code zbarimg finds on ``page`` rendered at 200 dpi by pdftoppm."""
    path = folder / "documento.pdf"
    path.write_bytes(data)
    subprocess.run([need("pdftoppm", "poppler-utils"), "-r", "200", "-png", "-f", str(page), "-l", str(page),
                    str(path), str(folder / "pagina")], check=True, capture_output=True, timeout=60)
    image = next(folder.glob("pagina-*.png"))
    result = subprocess.run([need("zbarimg", "zbar-tools"), "-q", "--raw", str(image)], capture_output=True,
                            text=True, timeout=60)
    return [line for line in result.stdout.splitlines() if line]


def pages(data: bytes, folder: Path) -> int:
    path = folder / "documento.pdf"
    path.write_bytes(data)
    info = subprocess.run([need("pdfinfo", "poppler-utils"), str(path)], check=True, capture_output=True,
                          text=True, timeout=60).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def line_with(text: str, *needles: str) -> str:
    """The one line of ``text`` holding every needle (fails clearly when none or several do)."""
    found = [line for line in text.splitlines() if all(n in line for n in needles)]
    assert len(found) == 1, (needles, found)
    return found[0]
