"""Each role logs in through the browser and lands on its home page, which shows only what it may use."""
import re

import pytest

from portfolio.auth.roles import ROLE_LABELS
from tests.e2e.conftest import logout

ACCOUNTS = {
    "admin": "admin@demo.pe",
    "staff": "staff@demo.pe",
    "company": "empresa1@demo.pe",
    "board": "comite1@demo.pe",
    "trustee": "fiduciario@demo.pe",
    "auditor": "auditor@demo.pe",
}


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_each_role_logs_in_and_sees_its_home(page, login, role):
    login(ACCOUNTS[role])
    assert page.url.endswith("/")
    assert page.locator("h1").first.inner_text().startswith("Hola,")
    assert ROLE_LABELS[role] in page.content()
    menu = page.locator("nav .navbar-nav.me-auto").inner_text()
    if role == "admin":
        assert "Usuarios" in menu and "Auditoría" in menu
    else:
        assert "Usuarios" not in menu
    if role == "company":
        assert "Minera Cordillera Norte" in page.content()
        assert "Organizaciones" not in menu
    assert page.console_errors == [], page.console_errors  # no CSP violations or script errors


def test_wrong_password_shows_generic_spanish_message(page, login):
    login("staff@demo.pe", "contraseña-equivocada-123")
    assert "/login" in page.url
    assert page.get_by_text("Correo o contraseña incorrectos.").is_visible()


def test_logout_ends_the_session(page, login):
    login("auditor@demo.pe")
    logout(page)
    assert re.search(r"/login", page.url)
    page.goto("/auditoria")
    assert "/login" in page.url
