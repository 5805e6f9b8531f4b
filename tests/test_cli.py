"""Command-line user management and seeding call the same services as the web."""
from sqlalchemy import func, select

from portfolio import db, seeding
from portfolio.auth.models import User
from portfolio.orgs.models import Company, PublicEntity


def run(app, *args, env=None):
    return app.test_cli_runner().invoke(args=list(args), env=env or {})


def test_create_deactivate_activate_and_reset_user(app, isolated):
    result = run(app, "create-user", "--email", "Nueva.Jefa@Region.gob.pe", "--name", "Jefa", "--role", "staff",
                 "--password", "Clave-De-Consola-2026")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nueva.jefa@region.gob.pe"))
        assert user.role == "staff" and user.active
        token = user.session_token
    assert run(app, "deactivate-user", "--email", "nueva.jefa@region.gob.pe").exit_code == 0
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nueva.jefa@region.gob.pe"))
        assert not user.active and user.session_token != token
    assert run(app, "activate-user", "--email", "nueva.jefa@region.gob.pe").exit_code == 0
    result = run(app, "reset-password", "--email", "nueva.jefa@region.gob.pe", env={"PORTFOLIO_PASSWORD": "Otra-Clave-Consola-9"})
    assert result.exit_code == 0, result.output


def test_cli_refuses_bad_input_with_spanish_messages(app, isolated):
    weak = run(app, "create-user", "--email", "x@y.pe", "--name", "X", "--role", "admin", "--password", "123")
    assert weak.exit_code != 0 and "al menos 12 caracteres" in weak.output
    orphan = run(app, "create-user", "--email", "x@y.pe", "--name", "X", "--role", "company",
                 "--password", "Clave-Valida-Larga-1")
    assert orphan.exit_code != 0 and "vinculado a una empresa" in orphan.output
    missing = run(app, "deactivate-user", "--email", "nadie@y.pe")
    assert missing.exit_code != 0 and "No existe" in missing.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.email == "x@y.pe")) == 0


def test_demo_seed_is_idempotent(app, isolated):
    with app.app_context():
        seeding.load_reference()
        seeding.load_demo()
        db.session.commit()
        counts = [db.session.scalar(select(func.count(m.id))) for m in (User, Company, PublicEntity)]
        again = seeding.load_reference() | seeding.load_demo()
        db.session.commit()
        assert all(v == 0 for v in again.values()), again
        assert [db.session.scalar(select(func.count(m.id))) for m in (User, Company, PublicEntity)] == counts
        roles = set(db.session.scalars(select(User.role).where(User.email.like("%@demo.pe"))))
    assert roles == {"admin", "staff", "company", "board", "trustee", "auditor"}


def test_demo_data_is_refused_in_production(app, isolated):
    app.config["ENV_MODE"] = "production"
    try:
        result = run(app, "seed", "--demo")
    finally:
        app.config["ENV_MODE"] = "testing"
    assert result.exit_code != 0 and "nunca se cargan en producción" in result.output
