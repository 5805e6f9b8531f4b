"""Business dates are Lima's (setting ``TIMEZONE``), whatever the server's clock: at 23:30 in Lima (04:30 UTC
of the next day) a declaration, a posting, a "no future date" check and the dashboard all use Lima's date.
And nothing in ``portfolio/`` reads the system clock except ``portfolio/clock.py``."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.config import ConfigError, load_config
from portfolio.trust import ledger
from portfolio.trust.models import Contribution, Payment

UTC = dt.UTC
# 15/06/2026 23:30 in Lima = 16/06/2026 04:30 UTC: the UTC date is already "tomorrow".
LATE_EVENING = dt.datetime(2026, 6, 16, 4, 30, tzinfo=UTC)
LIMA_DAY = dt.date(2026, 6, 15)


def test_late_evening_in_lima_is_still_today_in_lima():
    with clock.frozen(LATE_EVENING):
        assert clock.today() == LIMA_DAY
        assert clock.now().utcoffset() == dt.timedelta(hours=-5)
        assert (clock.now().hour, clock.now().minute) == (23, 30)
        assert clock.utcnow() == LATE_EVENING and clock.utcnow().tzinfo == UTC
        assert db.utcnow() == LATE_EVENING  # stored timestamps stay UTC
        assert clock.local_date(LATE_EVENING) == LIMA_DAY
        assert clock.start_of_day(LIMA_DAY) == dt.datetime(2026, 6, 15, 5, 0, tzinfo=UTC)
    assert clock.now() != LATE_EVENING  # unfrozen again after the block


def test_the_timezone_setting_decides_the_business_date(app, monkeypatch):
    assert app.config["TIMEZONE"] == "America/Lima"
    monkeypatch.setitem(app.config, "TIMEZONE", "Asia/Tokyo")
    with app.app_context(), clock.frozen(LATE_EVENING):
        assert clock.today() == dt.date(2026, 6, 16)
        assert clock.now().utcoffset() == dt.timedelta(hours=9)


def test_timezone_is_read_from_the_environment_and_checked():
    assert load_config({})["TIMEZONE"] == "America/Lima"
    assert load_config({"TIMEZONE": "America/Bogota"})["TIMEZONE"] == "America/Bogota"
    with pytest.raises(ConfigError, match="Zona horaria desconocida"):
        load_config({"TIMEZONE": "Lima/Peru"})


def test_frozen_clock_needs_an_aware_instant():
    with pytest.raises(ValueError):
        clock.set_now(dt.datetime(2026, 6, 16, 4, 30))


def _world():
    from tests.trust.conftest import World

    return World()


def test_declaration_due_date_and_posting_use_lima_date(app, ctx):
    world = _world()
    db.session.commit()
    with clock.frozen(LATE_EVENING):
        # May's contribution falls due on 15/06: at 23:30 in Lima it is due today, not overdue.
        contribution = contributions_declare(world, dt.date(2026, 5, 1))
        assert contribution.due_date == LIMA_DAY
        assert contribution.versions[0].declared_on == LIMA_DAY
        assert contribution.status(clock.today()) == "pendiente"
        entry = db.session.get(ledger.Entry, contribution.versions[0].entry_id)
        assert entry.effective_date == LIMA_DAY
        # The trustee's confirmation posts on Lima's date too.
        from portfolio.trust.services import contributions

        payment = contributions.register_payment(
            contribution_id=contribution.id, amount=contribution.amount_due, paid_on=LIMA_DAY, bank="BCP",
            operation_number=uuid.uuid4().hex[:10].upper(), actor=world.company_user, key=uuid.uuid4().hex).value
        confirmed = contributions.confirm_payment(payment_id=payment.id, actor=world.trustee,
                                                  key=uuid.uuid4().hex).value
        assert db.session.get(ledger.Entry, confirmed.entry_id).effective_date == LIMA_DAY
        # June is the month in progress in Lima; July (already begun in UTC) is still a future month.
        from portfolio.errors import DomainError

        with clock.frozen(dt.datetime(2026, 7, 1, 4, 30, tzinfo=UTC)), pytest.raises(DomainError, match="mes futuro"):
            contributions_declare(world, dt.date(2026, 7, 1))


def contributions_declare(world, month: dt.date) -> Contribution:
    from portfolio.trust.services import contributions

    done = contributions.declare(company_id=world.company.id, month=month, payroll=Decimal("1000000.00"),
                                 headcount=10, actor=world.company_user, key=uuid.uuid4().hex)
    db.session.flush()
    return done.value


def test_payment_form_refuses_lima_tomorrow_and_dashboard_shows_lima_today(app, login_as):
    with clock.frozen(LATE_EVENING):
        company = login_as("company")
        page = company.post("/fideicomiso/empresa/declarar", {"month": "2026-05", "payroll": "1,000,000.00",
                                                              "headcount": "10", "idem": uuid.uuid4().hex},
                            follow_redirects=True)
        assert "Declaración registrada" in page.get_data(as_text=True)
        with app.app_context():
            cid = db.session.scalar(select(Contribution.id).where(
                Contribution.company_id == company.user["company_id"]))
        url = f"/fideicomiso/empresa/declaraciones/{cid}/pagar"
        data = {"amount": "100.00", "bank": "BCP"}
        # 16/06 is today in UTC but tomorrow in Lima: refused, nothing written.
        page = company.post(url, {**data, "paid_on": "2026-06-16", "operation_number": "556677",
                                  "idem": uuid.uuid4().hex}, follow_redirects=True)
        assert "no puede ser futura" in page.get_data(as_text=True)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
        page = company.post(url, {**data, "paid_on": "2026-06-15", "operation_number": "556678",
                                  "idem": uuid.uuid4().hex}, follow_redirects=True)
        assert "Pago registrado" in page.get_data(as_text=True)
        # The contribution page pre-fills Lima's date; the dashboard says "Al 15/06/2026" and the month is not late.
        detail = company.get(f"/fideicomiso/empresa/declaraciones/{cid}").get_data(as_text=True)
        assert 'value="15/06/2026"' in detail
        home = company.get("/").get_data(as_text=True)
        assert "Al 15/06/2026" in home and "16/06/2026" not in home
        assert re.search(r'id="kpi-meses-mora">\s*0\s*<', home)


# --- nothing reads the system clock but portfolio/clock.py ------------------------------------------------

FORBIDDEN = re.compile(
    r"\bdate\.today\(|\bdatetime\.(?:now|utcnow|today)\(|\btime\.(?:time|localtime|gmtime)\(|"
    r"func\.(?:current_date|current_timestamp|now|localtimestamp)\b|\bCURRENT_(?:DATE|TIMESTAMP)\b|"
    r"\bZoneInfo\(|\butcfromtimestamp\(|\bfromtimestamp\(")
PACKAGE = Path(__file__).resolve().parent.parent / "portfolio"


def test_nothing_in_the_package_reads_the_system_clock_directly():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "clock.py" and path.parent == PACKAGE:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if FORBIDDEN.search(line.split("#", 1)[0]):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert not offenders, "use portfolio.clock (today/now/utcnow/zone) instead:\n" + "\n".join(offenders)


def test_the_grep_recognises_every_direct_clock_read():
    for line in ("x = dt.date.today()", "datetime.now(tz)", "dt.datetime.utcnow()", "func.current_date()",
                 "WHERE due < CURRENT_DATE", "ZoneInfo('America/Lima')", "time.time()"):
        assert FORBIDDEN.search(line), line
    for line in ("clock.today()", "clock.now()", "db.utcnow()", "today = today or clock.today()"):
        assert not FORBIDDEN.search(line), line
