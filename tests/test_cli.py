"""Command-line user management and seeding call the same services as the web."""
from sqlalchemy import func, select

from portfolio import db, seeding
from portfolio.auth.models import User
from portfolio.orgs.models import Company, PublicEntity


def run(app, *args, env=None):
    return app.test_cli_runner().invoke(args=list(args), env=env or {})


def test_create_deactivate_activate_and_reset_user(app, isolated):
    result = run(app, "users", "create", "--email", "Nueva.Jefa@Region.gob.pe", "--name", "Jefa", "--role", "staff",
                 "--password", "Clave-De-Consola-2026")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nueva.jefa@region.gob.pe"))
        assert user.role == "staff" and user.active
        token = user.session_token
    assert run(app, "users", "deactivate", "--email", "nueva.jefa@region.gob.pe").exit_code == 0
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nueva.jefa@region.gob.pe"))
        assert not user.active and user.session_token != token
    assert run(app, "users", "activate", "--email", "nueva.jefa@region.gob.pe").exit_code == 0
    result = run(app, "users", "reset-password", "--email", "nueva.jefa@region.gob.pe", env={"PORTFOLIO_PASSWORD": "Otra-Clave-Consola-9"})
    assert result.exit_code == 0, result.output


def test_cli_refuses_bad_input_with_spanish_messages(app, isolated):
    weak = run(app, "users", "create", "--email", "x@y.pe", "--name", "X", "--role", "admin", "--password", "123")
    assert weak.exit_code != 0 and "al menos 12 caracteres" in weak.output
    orphan = run(app, "users", "create", "--email", "x@y.pe", "--name", "X", "--role", "company",
                 "--password", "Clave-Valida-Larga-1")
    assert orphan.exit_code != 0 and "vinculado a una empresa" in orphan.output
    missing = run(app, "users", "deactivate", "--email", "nadie@y.pe")
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


def test_commands_are_grouped_by_noun_and_old_names_still_work(app, isolated):
    """`flask users …`, `flask ledger …`, `flask exports …`; the pre-group names run the same commands,
    hidden from the help."""
    help_text = run(app, "--help").output
    for group in ("users", "ledger", "exports", "db", "seed", "backup"):
        assert f"  {group} " in help_text, help_text
    for old in ("create-user", "deactivate-user", "activate-user", "reset-password", "exports-purge"):
        assert old not in help_text
    assert "reset-password" in run(app, "users", "--help").output
    created = run(app, "create-user", "--email", "alias@y.pe", "--name", "Alias", "--role", "staff",
                  "--password", "Clave-De-Consola-2026")
    assert created.exit_code == 0, created.output
    assert run(app, "deactivate-user", "--email", "alias@y.pe").exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(User.active).where(User.email == "alias@y.pe")) is False
    purged = run(app, "exports-purge", "--days", "0")
    assert purged.exit_code == 0 and "Archivos borrados" in purged.output
