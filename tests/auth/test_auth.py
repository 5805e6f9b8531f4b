"""Login, throttling, password policy, session renewal and invalidation."""
from sqlalchemy import func, select

from portfolio import db
from portfolio.auth import passwords
from portfolio.auth.models import LoginAttempt, User
from tests.conftest import DEMO_PASSWORD, Client


def test_login_succeeds_and_redirects_home(client, make_user):
    user = make_user("staff")
    response = client.login(user["email"])
    assert response.status_code == 302 and response.location.endswith("/")
    assert "Hola," in client.get("/").get_data(as_text=True)


def test_unknown_email_and_wrong_password_get_the_same_message(client, make_user):
    user = make_user("staff")
    wrong = client.login(user["email"], "otra-contraseña-larga")
    unknown = client.login("nadie@prueba.pe", "otra-contraseña-larga")
    assert wrong.status_code == unknown.status_code == 401
    for response in (wrong, unknown):
        assert "Correo o contraseña incorrectos." in response.get_data(as_text=True)


def test_inactive_user_cannot_log_in(client, make_user, app):
    user = make_user("staff")
    with app.app_context():
        db.session.get(User, user["id"]).active = False
        db.session.commit()
    response = client.login(user["email"])
    assert response.status_code == 401


def test_repeated_failures_lock_the_account(client, make_user, app):
    user = make_user("staff")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert client.login(user["email"], "incorrecta-incorrecta").status_code == 401
    locked = client.login(user["email"])  # even the right password is refused while locked
    assert locked.status_code == 429
    assert "Demasiados intentos" in locked.get_data(as_text=True)
    with app.app_context():
        failures = db.session.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.email == user["email"]))
    assert failures == limit  # the refused attempt while locked is not even checked


def test_repeated_failures_from_one_address_are_throttled(client, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    for i in range(limit):
        client.login(f"desconocido{i}@prueba.pe", "incorrecta-incorrecta")
    response = client.login("otro@prueba.pe", "incorrecta-incorrecta")
    assert response.status_code == 429


def test_login_starts_a_fresh_session(client, make_user):
    user = make_user("staff")
    client.get("/login")
    with client.c.session_transaction() as sess:
        sess["planted"] = "fixation"
    client.login(user["email"])
    with client.c.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("sid")


def test_password_change_ends_other_sessions(app, make_user):
    user = make_user("board")
    first, second = Client(app.test_client()), Client(app.test_client())
    first.login(user["email"])
    second.login(user["email"])
    new_password = "Otra-Clave-Muy-Segura-77"
    response = first.post("/cuenta/contrasena", {"current_password": DEMO_PASSWORD, "new_password": new_password,
                                                 "confirm": new_password})
    assert response.status_code == 302
    assert first.get("/").status_code == 200            # this browser stays in
    assert second.get("/").status_code == 302           # the other one is logged out
    assert first.login(user["email"], new_password).status_code in (302,)


def test_deactivation_ends_existing_sessions(app, make_user, login_as):
    user = make_user("auditor")
    victim = Client(app.test_client())
    victim.login(user["email"])
    assert victim.get("/auditoria").status_code == 200
    admin = login_as("admin")
    response = admin.post(f"/admin/usuarios/{user['id']}", {"email": user["email"], "name": "Auditor", "role": "auditor",
                                                            "company_id": "0"})  # 'active' unchecked
    assert response.status_code == 302
    assert victim.get("/auditoria").status_code == 302


def test_password_policy():
    assert passwords.password_problems("corta") != []
    assert passwords.password_problems("x" * 129) != []
    assert passwords.password_problems("password123456") != []       # common word + digits
    assert passwords.password_problems("contraseña123") != []        # Spanish list
    assert passwords.password_problems("aaaaaaaaaaaaaa") != []
    assert passwords.password_problems("juan.perez.2026!", email="juan.perez@x.pe") != []
    assert passwords.password_problems("Trujillo-Moche-Huanchaco-9") == []


def test_strong_profile_is_argon2id_with_rfc9106_parameters(app):
    with app.app_context():
        app.config["PASSWORD_HASH_PROFILE"] = "strong"
        try:
            stored = passwords.hash_password("Una-Clave-De-Prueba-Larga")
        finally:
            app.config["PASSWORD_HASH_PROFILE"] = "fast"
    assert stored.startswith("$argon2id$")
    assert "m=65536,t=3,p=4" in stored


def test_change_password_rejects_wrong_current_and_weak_new(login_as):
    user = login_as("staff")
    wrong = user.post("/cuenta/contrasena", {"current_password": "no-es-esta-clave", "new_password": "Nueva-Clave-Segura-1",
                                             "confirm": "Nueva-Clave-Segura-1"})
    assert "La contraseña actual no es correcta." in wrong.get_data(as_text=True)
    digits = user.post("/cuenta/contrasena", {"current_password": DEMO_PASSWORD, "new_password": "123456789012",
                                              "confirm": "123456789012"})
    assert "solo por números" in digits.get_data(as_text=True)
    common = user.post("/cuenta/contrasena", {"current_password": DEMO_PASSWORD, "new_password": "qwertyuiop2026",
                                              "confirm": "qwertyuiop2026"})
    assert "demasiado común" in common.get_data(as_text=True)
    assert user.get("/").status_code == 200  # still logged in: nothing changed


def test_open_redirect_after_login_is_refused(client, make_user):
    user = make_user("staff")
    client.get("/login")
    response = client.post("/login?next=https://malicioso.example/", {"email": user["email"], "password": DEMO_PASSWORD})
    assert response.location.endswith("/") and "malicioso" not in response.location


def test_anonymous_root_goes_to_the_transparency_portal_and_login_links_to_it(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.endswith("/transparencia/")
    login_page = client.get("/login").get_data(as_text=True)
    assert 'href="/transparencia/"' in login_page
    assert "portal de transparencia" in login_page
