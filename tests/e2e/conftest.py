"""Browser tests: the app served from a thread on a fresh SQLite database with reference and demo data,
driven by Playwright on Debian's Chromium (never a downloaded browser).

Fixtures: ``live_server`` (base URL), ``browser`` (session-wide Chromium), ``page`` (a fresh context and
page per test; screenshots go to test-artifacts/), ``login`` (log a page in as a demo account).
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from portfolio import create_app, db, migrate, seeding
from tests.conftest import unavailable

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DEMO_PASSWORD = seeding.DEMO_PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.db'}"
    migrate.upgrade(url)
    app = create_app({"ENV_MODE": "testing", "DATABASE_URL": url, "SECRET_KEY": "e2e-" + "k" * 40,
                      "DEMO_DATA": True, "DOCUMENT_DIR": str(tmp_path_factory.mktemp("documentos"))})
    with app.app_context():
        seeding.load_reference()
        seeding.load_demo()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        unavailable(f"Chromium no está instalado en {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server, locale="es-PE", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("dialog", lambda dialog: dialog.accept())  # confirmations of financial actions
    page.console_errors = errors
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()


@pytest.fixture
def login(page):
    def do_login(email: str, password: str = DEMO_PASSWORD, target=page):
        target.goto("/login")
        target.fill("input[name=email]", email)
        target.fill("input[name=password]", password)
        target.click("button[type=submit]")
        target.wait_for_load_state()
        return target

    return do_login


def logout(page) -> None:
    """Log out through the user menu, as a person would."""
    page.click("#user-menu")
    page.get_by_role("button", name="Cerrar sesión").click()
    page.wait_for_load_state()
