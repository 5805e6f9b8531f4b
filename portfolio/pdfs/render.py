"""HTML templates to PDF: Jinja (``templates/pdfs/``) → WeasyPrint (Pango for text layout), with the
verification code and its QR code (segno) on every page's footer.

No web framework here: the environment is a plain Jinja one with the app's money and date filters, so the
command line, the benchmark and the services render the same bytes as a request would.
"""
from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from portfolio.formatting import format_date, format_datetime, format_month, format_percent, month_label
from portfolio.money import format_money
from portfolio.pdfs.content import Content

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates" / "pdfs"
STYLESHEET = Path(__file__).resolve().parent / "pdf.css"
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per layout step otherwise


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(money=format_money, date=format_date, datetime=format_datetime, month=format_month,
                       month_long=month_label, pct=format_percent)
    return env


def qr_data_uri(url: str) -> str:
    """The verification URL as a QR code (error correction M: survives a stamp or a fold), an SVG data URI."""
    import segno

    return segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=2)


def html(content: Content, *, code: str, verify_url: str, issued_at: dt.datetime, issued_by: str) -> str:
    return environment().get_template(content.template).render(
        **content.context, doc=content, code=code, verify_url=verify_url, qr=qr_data_uri(verify_url),
        issued_at=issued_at, issued_by=issued_by)


def pdf(content: Content, *, code: str, verify_url: str, issued_at: dt.datetime, issued_by: str) -> bytes:
    from weasyprint import CSS, HTML

    page = html(content, code=code, verify_url=verify_url, issued_at=issued_at, issued_by=issued_by)
    return HTML(string=page, base_url=str(TEMPLATES)).write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))])
