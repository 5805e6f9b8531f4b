"""The demo data: every disbursement state, late/partial/unpaid contributions, idempotent, passes verify."""
from __future__ import annotations

from sqlalchemy import func, select

from portfolio import db, seeding
from portfolio.trust.models import ConflictOfInterest, Contribution, Disbursement, Payment, Program


def test_demo_seed_is_complete_idempotent_and_verifies(app, ctx):
    seeding.load_demo()
    db.session.commit()
    statuses = set(db.session.scalars(select(Disbursement.status)))
    assert statuses == {"solicitado", "aprobado", "en_ejecucion", "pagado", "rechazado", "cancelado"}
    assert {p.name for p in db.session.scalars(select(Program))} >= {
        "Observatorio Ciudadano", "C4 Trujillo", "Barrio Seguro El Porvenir"}
    assert db.session.scalar(select(func.count(ConflictOfInterest.id))) >= 1
    assert db.session.scalar(select(func.count(Contribution.id))) == 60
    partial = db.session.scalar(select(func.count(Contribution.id)).where(
        Contribution.amount_paid > 0, Contribution.amount_paid < Contribution.amount_due))
    unpaid = db.session.scalar(select(func.count(Contribution.id)).where(Contribution.amount_paid == 0))
    late = db.session.scalar(select(func.count(Payment.id)).join(Contribution).where(
        Payment.paid_on > Contribution.due_date))
    assert partial > 0 and unpaid > 0 and late > 0
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    counts = (db.session.scalar(select(func.count(Payment.id))), db.session.scalar(select(func.count(Disbursement.id))))
    report = seeding.load_demo()
    db.session.commit()
    assert report["declaraciones demo"] == 0 and report["desembolsos demo"] == 0 and report["asientos contables"] == 0
    assert counts == (db.session.scalar(select(func.count(Payment.id))),
                      db.session.scalar(select(func.count(Disbursement.id))))
