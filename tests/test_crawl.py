"""Crawl the app as each demo account, following every link it is shown: no server error, no link to a
page the role may not open, no raw ``None`` on any page."""
import re
from collections import deque
from urllib.parse import urldefrag, urljoin, urlsplit

from portfolio import db, seeding
from tests.conftest import Client

ACCOUNTS = ["admin@demo.pe", "staff@demo.pe", "empresa1@demo.pe", "comite1@demo.pe", "fiduciario@demo.pe",
            "auditor@demo.pe"]
HREF = re.compile(r'href="([^"]+)"')
MAX_PAGES = 250


def crawl(client: Client) -> tuple[int, list[str]]:
    seen, problems = set(), []
    queue = deque(["/"])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code >= 500 or response.status_code == 403:
            problems.append(f"{url} → {response.status_code}")
            continue
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        if re.search(r">\s*None\s*<", html):
            problems.append(f"{url} muestra 'None'")
        for href in HREF.findall(html):
            target, _ = urldefrag(urljoin(url, href.replace("&amp;", "&")))
            parts = urlsplit(target)
            if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
                continue
            if parts.path.startswith(("/static/", "/bootstrap/")) or parts.path == "/logout":
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path not in seen:
                queue.append(path)
    return len(seen), problems


def test_every_role_crawls_without_errors_or_forbidden_links(app, isolated):
    with app.app_context():
        seeding.load_demo()
        db.session.commit()
    for email in ACCOUNTS:
        client = Client(app.test_client())
        assert client.login(email, seeding.DEMO_PASSWORD).status_code == 302, email
        visited, problems = crawl(client)
        assert problems == [], (email, problems)
        assert visited > 1, email
