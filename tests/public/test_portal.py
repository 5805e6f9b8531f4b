"""The public portal as an anonymous visitor: every page reachable by following links answers 200, is
cacheable, sets no cookie, links nowhere private, and never shows a private string; unknown or
non-public ids are 404; nothing can be posted."""
from __future__ import annotations

import csv
import io
import re

from sqlalchemy import func, select

from portfolio import db
from portfolio.indicators.models import Indicator
from tests.public.conftest import crawl, forbidden_strings

ALLOWED_PREFIXES = ("/transparencia", "/static/", "/bootstrap/")


def test_anonymous_crawl_finds_no_private_data(client, demo):
    pages = crawl(client.c)
    assert len(pages) >= 5, list(pages)
    forbidden = forbidden_strings()
    assert "staff@demo.pe" in forbidden
    for url, response in pages.items():
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=300", url
        assert "Set-Cookie" not in response.headers, url
        body = response.get_data(as_text=True)
        for text in forbidden:
            assert text not in body, f"{text!r} appears on {url}"
        if response.mimetype == "text/html":
            assert "csrf" not in body.lower(), url
            for link in re.findall(r'(?:href|src|action)="([^"#]+)', body):
                if link.startswith("/"):
                    assert link.startswith(ALLOWED_PREFIXES), f"{url} links to {link}"


def test_crawl_reaches_every_public_indicator_and_its_values(client, demo, app):
    pages = crawl(client.c)
    with app.app_context():
        public_ids = db.session.scalars(select(Indicator.id).where(Indicator.public.is_(True))).all()
        private_ids = db.session.scalars(select(Indicator.id).where(Indicator.public.is_(False))).all()
    assert private_ids, "the demo catalogue has a non-public indicator"
    for indicator_id in public_ids:
        assert f"/transparencia/indicadores/{indicator_id}" in pages
    for indicator_id in private_ids:
        assert f"/transparencia/indicadores/{indicator_id}" not in pages
        assert client.get(f"/transparencia/indicadores/{indicator_id}").status_code == 404


def test_unknown_ids_and_bad_urls_are_404_without_caching(client, demo):
    for url in ("/transparencia/indicadores/999999", "/transparencia/indicadores/abc", "/transparencia/nada"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.headers.get("Cache-Control") != "public, max-age=300"


def test_portal_is_read_only(client, demo):
    for url in ("/transparencia/", "/transparencia/indicadores", "/transparencia/datos/indicadores.csv"):
        assert client.c.post(url).status_code in (400, 405)


def test_bad_period_arguments_fall_back_to_the_latest_quarter(client, demo):
    for query in ("?anio=abc&trimestre=2", "?anio=2026&trimestre=9", "?anio=-5"):
        assert client.get("/transparencia/indicadores" + query).status_code == 200


def test_csv_has_only_public_indicators_and_their_figures(client, demo, app):
    response = client.get("/transparencia/datos/indicadores.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    codes = {r["codigo"] for r in rows}
    assert "VICT-LL" in codes and "ADM-GRLL" not in codes
    with app.app_context():
        assert len(rows) == db.session.scalar(select(func.count()).select_from(Indicator)
                                              .where(Indicator.public.is_(True)))
    vict = next(r for r in rows if r["codigo"] == "VICT-LL")
    assert vict["sentido"] == "lower" and vict["valor"] and vict["estado"] in ("on_track", "at_risk", "off_track")
    assert "[DEMO]" in vict["fuente"]


def test_logged_in_visitor_sees_the_same_public_page_without_private_menu(login_as, demo):
    staff = login_as("staff")
    body = staff.get("/transparencia/indicadores").get_data(as_text=True)
    assert staff.user["email"] not in body and "Cerrar sesión" not in body
