from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import urljoin, urlsplit

import pytest

from portfolio import db, seeding

HREF = re.compile(r'(?:href|src)="([^"#]+)')


@pytest.fixture
def demo(app, isolated):
    """Reference + demo data inside the test's transaction."""
    with app.app_context():
        seeding.load_demo()
        db.session.commit()


def forbidden_strings() -> list[str]:
    """What must never appear on the public portal: demo users' e-mails and names, the demo companies'
    contact details, and private figures that other packages add to ``PRIVATE_DEMO_STRINGS``."""
    out = []
    for row in seeding.read_csv("demo_users.csv"):
        out += [row["email"], row["name"]]
    for row in seeding.read_csv("demo_companies.csv"):
        out += [v for k, v in row.items() if k.startswith("contact_") and v]
    out.append("Costo de gestión de la cartera")  # the non-public demo indicator
    return out


def body_text(response) -> str:
    """A crawled response as text: pages, CSV and JSON decoded; a ZIP (the bulk open data) as the text of every
    file in it; a downloaded document (PDF, image…) read byte for byte as Latin-1, so an e-mail or a RUC
    written in it is still found."""
    if response.mimetype == "application/zip":
        archive = zipfile.ZipFile(io.BytesIO(response.data))
        return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    if response.mimetype.startswith("text/") or response.mimetype.endswith("json"):
        return response.get_data(as_text=True)
    return response.get_data().decode("latin-1")


def crawl(client, start: str = "/transparencia/", limit: int = 400):
    """Follow every same-site link under /transparencia from ``start``; return {url: response}."""
    seen: dict[str, object] = {}
    queue = [start]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response
        if response.mimetype != "text/html":
            continue
        for link in HREF.findall(response.get_data(as_text=True)):
            link = link.replace("&amp;", "&")
            absolute = urljoin(url, link)
            parts = urlsplit(absolute)
            if parts.netloc not in ("", "localhost"):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.path.startswith("/transparencia") and path not in seen:
                queue.append(path)
    return seen


