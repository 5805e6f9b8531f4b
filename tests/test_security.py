"""Security baseline: headers, CSRF, no state change on GET, size limit, Spanish error pages."""
from pathlib import Path

from sqlalchemy import func, select

from portfolio import db
from portfolio.orgs.models import Company

ROOT = Path(__file__).resolve().parents[1]


def test_security_headers_on_every_page(client, login_as):
    for response in (client.get("/login"), login_as("admin").get("/admin/usuarios"), client.get("/healthz")):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    user = make_user("staff")
    response = client.login(user["email"])
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_forged_post_without_csrf_token_is_refused_and_writes_nothing(login_as, app):
    staff = login_as("staff")
    with app.app_context():
        before = db.session.scalar(select(func.count(Company.id)))
    response = staff.post("/organizaciones/empresas/nueva", {"ruc": "20601452783", "legal_name": "Forjada S.A.",
                                                             "sector": "otros"}, csrf=False)
    assert response.status_code == 400
    assert "protección CSRF" in response.get_data(as_text=True)
    response = staff.post("/organizaciones/empresas/nueva", {"ruc": "20601452783", "legal_name": "Forjada S.A.",
                                                             "sector": "otros", "csrf_token": "token-falso"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Company.id))) == before


def test_logout_requires_post(login_as):
    staff = login_as("staff")
    assert staff.get("/logout").status_code == 405
    assert staff.get("/").status_code == 200


def test_oversized_request_gets_413_in_spanish(login_as, app):
    staff = login_as("staff")
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = staff.post("/organizaciones/empresas/nueva", {"legal_name": big})
    assert response.status_code == 413
    assert "tamaño máximo" in response.get_data(as_text=True)


def test_error_pages_are_spanish_and_leak_nothing(client, login_as):
    missing = login_as("staff").get("/organizaciones/empresas/999999")
    assert missing.status_code == 404
    body = missing.get_data(as_text=True)
    assert "no existe" in body and "Traceback" not in body
    assert client.get("/no-existe").status_code == 404


def test_unexpected_error_gets_generic_500_without_stack_trace(app):
    from portfolio import create_app
    from portfolio.auth.policy import public

    other = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "x" * 40})

    @public
    def boom():
        raise RuntimeError("detalle interno secreto")

    other.add_url_rule("/_prueba_error", "boom", boom)
    response = other.test_client().get("/_prueba_error")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Error interno" in body and "secreto" not in body and "Traceback" not in body


def test_no_cdn_and_no_inline_scripts_or_styles_in_templates():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "cdn." not in text and "googleapis" not in text and "unpkg" not in text, path
        assert "<script>" not in text and "<script type" not in text, path
        assert " style=" not in text and "<style" not in text, path
        assert " onclick=" not in text and " onsubmit=" not in text, path


def test_bootstrap_is_served_locally(client):
    page = client.get("/login").get_data(as_text=True)
    assert "/bootstrap/static/css/bootstrap.min.css" in page
    assert client.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
