"""Every door (form views, admin actions, the CLI) commits through one wrapper: a refused service shows its
Spanish message and writes nothing; a successful one commits once."""
from __future__ import annotations

import html

from sqlalchemy import select

from portfolio import db
from portfolio.auth import passwords
from portfolio.auth.models import User


def _hash(app, user_id: int) -> str:
    with app.app_context():
        return db.session.scalar(select(User.password_hash).where(User.id == user_id))


def test_admin_password_reset_refused_shows_the_message_and_changes_nothing(app, login_as, make_user):
    admin = login_as("admin")
    target = make_user("staff")
    before = _hash(app, target["id"])
    response = admin.post(f"/admin/usuarios/{target['id']}/contrasena", {"reset-password": "qwertyuiop2026"},
                          follow_redirects=True)
    page = html.unescape(response.get_data(as_text=True))
    problems = " ".join(passwords.password_problems("qwertyuiop2026", email=target["email"]))
    assert response.status_code == 200 and problems and problems in page
    assert _hash(app, target["id"]) == before


def test_admin_password_reset_commits_once(app, login_as, make_user):
    admin = login_as("admin")
    target = make_user("staff")
    before = _hash(app, target["id"])
    response = admin.post(f"/admin/usuarios/{target['id']}/contrasena",
                          {"reset-password": "Otra-Clave-Muy-Segura-2026"}, follow_redirects=True)
    assert "Contraseña restablecida" in html.unescape(response.get_data(as_text=True))
    assert _hash(app, target["id"]) != before
