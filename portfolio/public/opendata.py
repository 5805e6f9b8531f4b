"""Bulk open data: the rows of every file of the ZIP (described column by column in ``dictionary.py``) and
the ZIP itself. Amounts are exact (``Decimal`` to the cent); the files are UTF-8 with BOM, comma-separated,
each text cell neutralised by ``csv_cell`` (the spreadsheet-formula rule of every CSV the app serves).

Execution figures: the typed devengado/girado of the budget lines (:func:`execution_by_project`) next to MEF's
(``mef.queries.open_data_by_project``: Σ of the current version of every year), so a reader sees both sources
and their difference.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from decimal import Decimal

from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.exports.csvfile import csv_text
from portfolio.money import CENT, money_sum, split_by_shares
from portfolio.orgs import ubigeo
from portfolio.orgs.models import LEVELS
from portfolio.projects import stages
from portfolio.projects.models import (
    MECHANISMS,
    MILESTONE_KINDS,
    MILESTONE_STATUSES,
    SECTORS,
    BudgetLine,
    Project,
)
from portfolio.projects.vocab import MilestoneStatus
from portfolio.public import dictionary as d
from portfolio.public import oc4ids

ZERO = Decimal("0.00")
SEP = " | "


def execution_by_project() -> dict[int, tuple[Decimal, Decimal]]:
    """{project id: (devengado, girado)} — the accrued and paid figures recorded on the project's budget
    lines. One statement."""
    return {pid: (accrued, paid) for pid, accrued, paid in db.session.execute(
        select(BudgetLine.project_id, money_sum(BudgetLine.accrued), money_sum(BudgetLine.paid))
        .group_by(BudgetLine.project_id))}


def _pct(hundredths: int | None) -> Decimal | None:
    return None if hundredths is None else (Decimal(hundredths) / 100).quantize(CENT)


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT)


def _mef_cells(mef, accrued: Decimal) -> list:
    """devengado_mef, girado_mef, mef_anios, mef_mes_corte, diferencia_devengado (all empty without MEF)."""
    if mef is None:
        return [None] * 5
    return [_money(mef.devengado), _money(mef.girado), SEP.join(str(y) for y in mef.years), mef.through_month,
            _money(accrued - mef.devengado)]


def _name(company) -> str:
    return company.legal_name


class Bundle:
    """Every table's rows, from one load of the projects (a fixed number of statements)."""

    def __init__(self, *, prefix: str, today: dt.date | None = None) -> None:
        self.prefix = prefix
        self.today = today or clock.today()
        self.projects, self.facts = oc4ids.load()
        self.execution = execution_by_project()
        from portfolio.mef.queries import open_data_by_project

        self.mef = open_data_by_project()

    def current(self, project: Project) -> Decimal | None:
        return oc4ids.current_amount(project, self.facts.variations.get(project.id, []))

    def projects_rows(self) -> Iterator[list]:
        for p in self.projects:
            codes = [loc.ubigeo for loc in p.locations]
            accrued, paid = self.execution.get(p.id, (ZERO, ZERO))
            mef = self.mef.get(p.id)
            milestones = self.facts.milestones.get(p.id, [])
            actual = max((m.actual_physical for m in milestones if m.actual_physical is not None), default=None)
            certified = sum((c.amount for c in self.facts.certificates.get(p.id, [])), ZERO)
            yield [p.id, oc4ids.project_id(p, self.prefix), p.cui, p.name, p.entity.name, p.entity.ruc,
                   LEVELS.get(p.entity.level, p.entity.level), p.stage, stages.label(p.stage),
                   SECTORS.get(p.sector, p.sector), MECHANISMS.get(p.mechanism, p.mechanism), p.multidepartmental,
                   SEP.join(codes), SEP.join(ubigeo.department_name(c) or "" for c in codes),
                   SEP.join(ubigeo.province_name(c) or "" for c in codes),
                   SEP.join(ubigeo.district_name(c) or "" for c in codes),
                   SEP.join(_name(m.company) for m in p.members), SEP.join(m.company.ruc for m in p.members),
                   p.executing_company, p.supervisor, _money(p.reference_amount), _money(p.awarded_amount),
                   _money(self.current(p)), _money(accrued), _money(paid),
                   *(_mef_cells(mef, accrued)), _money(certified), _pct(actual),
                   p.term_days, p.prioritized_on, p.call_on, p.awarded_on, p.convenio_on, p.start_on,
                   p.completion_on, p.reception_on, p.settlement_on]

    def locations_rows(self) -> Iterator[list]:
        for p in self.projects:
            for loc in p.locations:
                yield [p.id, loc.ubigeo, ubigeo.department_name(loc.ubigeo), ubigeo.province_name(loc.ubigeo),
                       ubigeo.district_name(loc.ubigeo)]

    def funders_rows(self) -> Iterator[list]:
        for p in self.projects:
            members = list(p.members)
            if not members:
                continue
            shares = [Decimal(m.share_hundredths) / 100 for m in members]
            current = self.current(p)
            parts = (split_by_shares(current, shares) if current is not None and sum(shares) == 100
                     else [None] * len(members))
            for m, share, part in zip(members, shares, parts, strict=True):
                yield [p.id, m.company.ruc, _name(m.company), share.quantize(CENT), _money(part)]

    def milestones_rows(self) -> Iterator[list]:
        for p in self.projects:
            for index, m in enumerate(self.facts.milestones.get(p.id, []), start=1):
                status = MILESTONE_STATUSES.get(m.status, m.status)
                if m.status == MilestoneStatus.PROGRAMADO and m.actual_date is None and m.planned_date < self.today:
                    status = "Vencido"
                yield [p.id, index, MILESTONE_KINDS.get(m.kind, m.kind), m.description, m.planned_date,
                       m.actual_date, status, _pct(m.planned_physical), _pct(m.actual_physical),
                       _money(m.amount) if m.kind == "valorizacion" else None]

    def certificates_rows(self) -> Iterator[list]:
        for p in self.projects:
            numbers = {m.id: i for i, m in enumerate(self.facts.milestones.get(p.id, []), start=1)}
            for c in self.facts.certificates.get(p.id, []):
                yield [p.id, c.cert_type, c.number, c.issue_date, _money(c.amount), numbers.get(c.milestone_id)]


def disbursement_rows() -> list[list]:
    """Paid trust disbursements by quarter, program and beneficiary organization (the quarterly statement's
    table, for every quarter). One statement."""
    from portfolio.trust.models import Disbursement, Organization, Program, Tranche

    year = func.extract("year", Tranche.executed_on)
    month = func.extract("month", Tranche.executed_on)
    rows = db.session.execute(
        select(year, month, Program.name, Organization.name, Organization.ruc, func.count(Tranche.id),
               money_sum(Tranche.amount))
        .join(Disbursement, Disbursement.id == Tranche.disbursement_id)
        .join(Program, Program.id == Disbursement.program_id)
        .join(Organization, Organization.id == Disbursement.organization_id)
        .group_by(year, month, Program.name, Organization.name, Organization.ruc)).all()
    grouped: dict[tuple, list] = {}
    for y, mth, program, org, ruc, n, amount in rows:
        key = (int(y), (int(mth) - 1) // 3 + 1, program, org, ruc)
        acc = grouped.setdefault(key, [0, ZERO])
        acc[0] += n
        acc[1] += amount
    return [[*key, n, _money(amount)] for key, (n, amount) in sorted(grouped.items())]


def indicator_rows() -> list[list]:
    """Every public indicator in every quarter that has a measurement, with its Spanish status label."""
    from portfolio.indicators import services as indicators
    from portfolio.indicators.models import STATUSES, Indicator, Measurement

    quarters = db.session.execute(
        select(Measurement.year, Measurement.quarter).join(Indicator, Indicator.id == Measurement.indicator_id)
        .where(Indicator.public.is_(True)).distinct().order_by(Measurement.year, Measurement.quarter)).all()
    out = []
    for year, quarter in quarters:
        for r in indicators.quarter_report(year, quarter, public_only=True):
            if r.value is None:
                continue
            ind = r.indicator
            out.append([ind.code, ind.name, ind.unit, ind.direction_label, ind.level_label, r.owner_name, year,
                        quarter, ind.baseline_value, ind.baseline_year, r.target, r.value, r.version,
                        STATUSES[r.status], r.source, r.measured_on])
    return out


def readme(published: dt.datetime) -> str:
    lines = ["Datos abiertos — Cartera de Seguridad Ciudadana, La Libertad",
             f"Generado: {published.astimezone(clock.zone()).strftime('%d/%m/%Y %H:%M')} (hora de Lima)",
             f"Licencia: {d.LICENSE_NAME} — {d.LICENSE_URL}",
             "Cite la fuente: «Portal de transparencia de la Cartera de Seguridad Ciudadana de La Libertad».",
             "Formato: CSV UTF-8 con BOM, separado por comas; montos en soles con punto decimal; fechas aaaa-mm-dd.",
             "Diccionario completo: /transparencia/datos/diccionario", ""]
    for table in d.TABLES:
        lines += [f"{table.filename} — {table.title}. {table.description}"]
        lines += [f"  {c.name} ({c.kind}): {c.description}" for c in table.columns]
        lines.append("")
    return "\n".join(lines)


def zip_bytes(*, prefix: str, published: dt.datetime, today: dt.date | None = None) -> bytes:
    """The ZIP of every CSV plus LEEME.txt (licence and dictionary)."""
    bundle = Bundle(prefix=prefix, today=today)
    contents = {
        d.PROJECTS: bundle.projects_rows(), d.LOCATIONS: bundle.locations_rows(), d.FUNDERS: bundle.funders_rows(),
        d.MILESTONES: bundle.milestones_rows(), d.CERTIFICATES: bundle.certificates_rows(),
        d.DISBURSEMENTS: disbursement_rows(), d.INDICATORS: indicator_rows(),
    }
    stamp = published.astimezone(clock.zone()).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("LEEME.txt", stamp), readme(published).encode("utf-8"),
                         compress_type=zipfile.ZIP_DEFLATED)
        for table in d.TABLES:
            archive.writestr(zipfile.ZipInfo(table.filename, stamp),
                             csv_text(table.header, contents[table]).encode("utf-8"),
                             compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
