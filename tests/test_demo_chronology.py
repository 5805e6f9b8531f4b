"""The demo data tells events in the order they happened, dated when they happened: stage changes on the
project's key dates, board votes before the approval that reserves the money and both before each tranche
is paid, declarations before their payments, and nothing after the day the demo was loaded. Timelines show
the event date (who recorded it and when is secondary)."""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from sqlalchemy import select

from portfolio import clock, db, seeding
from portfolio.projects import stages
from portfolio.projects.models import Project, StageTransition
from portfolio.trust import ledger
from portfolio.trust.models import Contribution, Disbursement, Payment, Tranche, Vote

# Loaded at 23:30 in Lima on the day the tests run (already the next day in UTC). The reference projects
# were loaded earlier that day at the real time, so a fixed load day would date them in the demo's future.
SEED_DAY = clock.today()
SEED_INSTANT = dt.datetime.combine(SEED_DAY, dt.time(23, 30), tzinfo=clock.zone()).astimezone(dt.UTC)
KEY_DATES = {"priorizado": "prioritized_on", **stages.STAGE_DATES}


def _load_demo():
    with clock.frozen(SEED_INSTANT):
        seeding.load_demo()
        db.session.commit()


def test_demo_stage_history_is_dated_on_the_key_dates(app, ctx):
    _load_demo()
    projects = db.session.scalars(select(Project)).all()
    assert any(p.is_demo for p in projects)
    history: dict[int, list[StageTransition]] = defaultdict(list)
    for t in db.session.scalars(select(StageTransition).order_by(StageTransition.at, StageTransition.id)):
        history[t.project_id].append(t)
    for project in projects:
        events = history[project.id]
        assert events, project.name
        dates = [t.occurred_on for t in events]
        assert dates == sorted(dates), (project.name, dates)  # recorded in order, dated in order
        assert max(dates) <= SEED_DAY, project.name
        for t in events:
            field = KEY_DATES.get(t.to_stage)
            key_date = getattr(project, field) if field else None
            if key_date is not None:
                assert t.occurred_on == key_date, (project.name, t.to_stage, t.occurred_on, key_date)
        if project.is_demo:  # every demo stage has its own date, none is the day the demo was loaded
            assert SEED_DAY not in dates, (project.name, dates)
            assert len(set(dates)) == len(dates), (project.name, dates)
    video = next(p for p in projects if p.name.startswith("Videovigilancia del Centro Histórico"))
    assert [(t.to_stage, t.occurred_on) for t in history[video.id]] == [
        ("priorizado", dt.date(2025, 6, 16)), ("actos_previos", dt.date(2025, 8, 4)),
        ("en_seleccion", dt.date(2025, 11, 3)), ("adjudicado", dt.date(2026, 1, 12)),
        ("convenio_suscrito", dt.date(2026, 2, 10)), ("en_ejecucion", dt.date(2026, 3, 1))]


def test_demo_votes_come_before_approval_and_approval_before_payment(app, ctx):
    _load_demo()
    checked = 0
    for d in db.session.scalars(select(Disbursement).order_by(Disbursement.id)):
        votes = db.session.scalars(select(Vote.cast_on).where(Vote.disbursement_id == d.id)).all()
        tranches = db.session.scalars(select(Tranche.executed_on).where(Tranche.disbursement_id == d.id)).all()
        assert all(d.requested_on <= v <= SEED_DAY for v in votes), (d.id, d.requested_on, votes)
        if d.transfer_id is None:
            assert not tranches
            continue
        approved = db.session.scalar(select(ledger.Entry.effective_date).where(
            ledger.Entry.transfer_id == d.transfer_id, ledger.Entry.kind == "reserva"))
        assert votes and max(votes) <= approved, (d.id, votes, approved)
        assert all(approved <= paid <= SEED_DAY for paid in tranches), (d.id, approved, tranches)
        checked += len(tranches)
    assert checked >= 3  # the demo pays several tranches


def test_demo_declarations_come_before_their_payments(app, ctx):
    _load_demo()
    rows = db.session.execute(select(Contribution, Payment).join(Payment, Payment.contribution_id == Contribution.id))
    seen = 0
    for contribution, payment in rows:
        declared = contribution.versions[0].declared_on
        assert declared <= payment.paid_on <= SEED_DAY, (contribution.month, declared, payment.paid_on)
        if payment.entry_id is not None:
            confirmed = db.session.get(ledger.Entry, payment.entry_id).effective_date
            assert payment.paid_on <= confirmed <= SEED_DAY
        seen += 1
    assert seen > 0
    assert max(e.effective_date for e in db.session.scalars(select(ledger.Entry))) <= SEED_DAY


def test_timeline_shows_the_event_date_and_the_recording_as_secondary(app, login_as, isolated):
    with app.app_context():
        _load_demo()
        pid = db.session.scalar(select(Project.id).where(Project.name.like("Videovigilancia del Centro Histórico%")))
    staff = login_as("staff")
    html = staff.get(f"/proyectos/{pid}").get_data(as_text=True)
    timeline = html.split('id="linea"', 1)[1].split("</ol>", 1)[0]
    shown = re.findall(r'<time datetime="([\d-]+)">([\d/]+)</time>', timeline)
    assert shown == [("2025-06-16", "16/06/2025"), ("2025-08-04", "04/08/2025"), ("2025-11-03", "03/11/2025"),
                     ("2026-01-12", "12/01/2026"), ("2026-02-10", "10/02/2026"), ("2026-03-01", "01/03/2026")]
    # The demo projects are entered by the demo staff user, through the same services as the pages.
    assert SEED_INSTANT.date() == SEED_DAY + dt.timedelta(days=1)  # the Lima day, not the UTC one, is shown
    assert timeline.count(f"Registrado por staff@demo.pe el {SEED_DAY:%d/%m/%Y} 23:30") == 6
    public = staff.get(f"/transparencia/proyectos/{pid}").get_data(as_text=True)
    public_timeline = public.split('id="pub-linea"', 1)[1].split("<h2", 1)[0]
    assert re.findall(r"<strong>([\d/]+)</strong>", public_timeline) == [d for _, d in shown]  # once each
