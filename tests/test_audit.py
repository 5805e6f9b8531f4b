"""The audit trail is append-only, also against direct SQL."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from portfolio import audit, db
from portfolio.auth.policy import SYSTEM


def test_rows_cannot_be_updated_or_deleted(ctx):
    entry = audit.record("prueba.inmutable", actor=SYSTEM, object_type="prueba", object_id=1, after={"x": 1})
    db.session.flush()
    for statement in ("UPDATE audit_log SET action = 'alterado' WHERE id = :id",
                      "DELETE FROM audit_log WHERE id = :id"):
        nested = db.session.begin_nested()
        with pytest.raises(DatabaseError, match="solo inserción"):
            db.session.execute(text(statement), {"id": entry.id})
        nested.rollback()
    action = db.session.execute(text("SELECT action FROM audit_log WHERE id = :id"), {"id": entry.id}).scalar()
    assert action == "prueba.inmutable"


@pytest.mark.postgresql_only
def test_truncate_is_refused_on_postgresql(ctx):
    nested = db.session.begin_nested()
    with pytest.raises(DatabaseError, match="solo inserción"):
        db.session.execute(text("TRUNCATE audit_log"))
    nested.rollback()


def test_audit_viewer_filters(login_as):
    admin = login_as("admin")
    target = login_as("staff")
    admin.post("/admin/usuarios/nuevo", {"email": "nuevo@prueba.pe", "name": "Nuevo", "role": "auditor",
                                         "company_id": "0", "password": "Clave-Nueva-Segura-8"})
    page = admin.get("/auditoria?accion=user.create&actor=" + admin.user["email"]).get_data(as_text=True)
    assert "nuevo@prueba.pe" in page
    assert target.user["email"] not in page.split("<tbody>")[1]
    bad_range = admin.get("/auditoria?desde=2026-12-31&hasta=2026-01-01").get_data(as_text=True)
    assert "posterior" in bad_range
    assert admin.get("/auditoria?desde=no-es-fecha").status_code == 200


def test_failed_action_leaves_no_audit_row(login_as, app):
    from sqlalchemy import func, select

    from portfolio.audit import AuditEntry

    staff = login_as("staff")
    with app.app_context():
        before = db.session.scalar(select(func.count(AuditEntry.id)))
    staff.post("/organizaciones/empresas/nueva", {"ruc": "20512333798", "legal_name": "X", "sector": "otros"})
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id))) == before
