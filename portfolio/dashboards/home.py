"""What each role's home page shows. ``context_for(user)`` returns the template and its data; every figure
comes from an aggregate query (see queries/oxi.py, queries/trust.py), so the statement count is flat."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, url_for

from portfolio import charts, clock
from portfolio.auth.policy import allows
from portfolio.auth.roles import ADMIN, AUDITOR, BOARD, COMPANY, STAFF, TRUSTEE
from portfolio.dashboards.queries import oxi
from portfolio.dashboards.queries import trust as trust_data
from portfolio.indicators import services as indicators
from portfolio.indicators.models import QUARTERS, STATUSES
from portfolio.money import format_money
from portfolio.notifications.queries import deadlines
from portfolio.projects import stages
from portfolio.read_cache import kept_by_data_version

TEMPLATES = {STAFF: "staff", COMPANY: "company", BOARD: "board", TRUSTEE: "trustee", AUDITOR: "overview",
             ADMIN: "overview"}


def link(endpoint: str, user: Any, **values) -> str | None:
    """The URL of ``endpoint`` if it exists and ``user`` may open it, else None (the template hides it)."""
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return None
    policy = getattr(view, "access_policy", None)
    if policy not in ("public", "anonymous") and (policy is None or not allows(user, policy)):
        return None
    return url_for(endpoint, **values)


def indicator_summary(owner: tuple[str, list[int]] | None = None) -> dict[str, Any]:
    year, quarter = indicators.latest_quarter()
    rows = indicators.quarter_report(year, quarter, owner=owner)
    return {"year": year, "quarter": quarter, "label": f"{QUARTERS[quarter]} {year}", "statuses": STATUSES,
            "counts": indicators.status_counts(rows), "rows": rows}


@kept_by_data_version
def indicator_counts() -> dict[str, Any]:
    """The latest quarter's indicators by status, as every home page shows them (plain data, kept)."""
    summary = indicator_summary()
    del summary["rows"]
    return summary


def staff(user, today: dt.date) -> dict[str, Any]:
    pipeline = oxi.pipeline()
    funnel = charts.bar_chart(
        "Embudo de la cartera: proyectos por etapa", [(stages.label(s), c) for s, c, _ in pipeline
                                                      if s in stages.MAIN_STAGES],
        funnel=True, chart_id="embudo", value_label="Proyectos", width=480,
        description="Número de proyectos en cada etapa del proceso de Obras por Impuestos, en orden")
    levels = oxi.by_level()
    level_chart = charts.bar_chart("Inversión por nivel de gobierno (S/)", [(label, amount) for label, _, amount in levels],
                                   fmt=format_money, chart_id="por-nivel", value_label="Monto", width=480)
    caps, ciprl, cipgn = oxi.certificates_vs_caps(today.year)
    cap_chart = charts.grouped_bar_chart(
        f"Tope CIPRL {today.year}: usado y saldo por entidad (S/)", [c.short_name or c.name for c in caps],
        [("Tope CIPRL", [c.cap for c in caps]), ("Usado (convenios y certificados)", [c.used for c in caps]),
         ("Saldo disponible", [c.available for c in caps])], fmt=format_money,
        axis_fmt=charts.compact_money, chart_id="topes") if caps else None
    overdue_count, overdue = oxi.overdue_milestones(today)
    stalled_days, stalled_count, stalled = oxi.stalled_projects(today)
    return {"pipeline": pipeline, "funnel": funnel, "levels": levels, "level_chart": level_chart,
            "entities": oxi.by_entity(), "caps": caps, "cap_chart": cap_chart, "ciprl": ciprl, "cipgn": cipgn,
            "overdue_count": overdue_count, "overdue": overdue, "stalled_days": stalled_days,
            "stalled_count": stalled_count, "stalled": stalled, "totals": oxi.totals(),
            "stage_label": stages.label, "main_stages": stages.MAIN_STAGES}


def company(user, today: dt.date) -> dict[str, Any]:
    project_count, projects = oxi.company_projects(user.company_id, today)
    progress = charts.grouped_bar_chart(
        "Avance físico de sus proyectos: programado vs. real (%)", [p.name for p in projects],
        [("Programado a la fecha", [p.planned_pct or 0 for p in projects]),
         ("Real", [p.actual_pct or 0 for p in projects])], fmt=charts.percent, chart_id="avance") if projects else None
    return {"project_count": project_count, "projects": projects, "progress": progress, "certs": oxi.company_certificates(user.company_id, today),
            "contributions": trust_data.contribution_status(user.company_id, today),
            "company_ageing": company_ageing_chart(trust_data.ageing(today, company_id=user.company_id))}


def company_ageing_chart(rows: list[dict]) -> charts.Chart | None:
    """One company's overdue contributions by age bucket."""
    if not rows:
        return None
    from portfolio.trust.services.books import AGE_BUCKETS

    return charts.bar_chart("Sus aportes vencidos por antigüedad (S/)",
                            [(label, rows[0]["buckets"][i]) for i, (label, _, _) in enumerate(AGE_BUCKETS)],
                            fmt=format_money, chart_id="morosidad", value_label="Monto vencido", width=560)


def program_chart(programs: list[dict], year: int) -> charts.Chart | None:
    if not programs:
        return None
    return charts.grouped_bar_chart(
        f"Programas {year}: plan vs. reservado vs. pagado (S/)", [p["code"] for p in programs],
        [("Plan anual", [p["plan"] for p in programs]), ("Reservado", [p["reserved"] for p in programs]),
         ("Pagado", [p["paid"] for p in programs])], fmt=format_money, axis_fmt=charts.compact_money,
        chart_id="programas",
        description="Ejecución de cada programa del fideicomiso frente a su plan anual")


def flows_chart(today: dt.date) -> charts.Chart:
    flows = trust_data.monthly_flows(today)
    return charts.grouped_bar_chart(
        "Aportes confirmados vs. desembolsos pagados por mes (S/)", [f"{m:%m/%y}" for m, _, _ in flows],
        [("Aportes", [c for _, c, _ in flows]), ("Desembolsos", [d for _, _, d in flows])], fmt=format_money,
        axis_fmt=charts.compact_money, chart_id="flujos", description="Movimientos de la cuenta bancaria del fideicomiso en los últimos 12 meses")


def ageing_chart(rows: list[dict]) -> charts.Chart | None:
    if not rows:
        return None
    from portfolio.trust.services.books import AGE_BUCKETS

    return charts.stacked_bar_chart(
        "Morosidad por antigüedad (S/)", [r["company"] for r in rows],
        [(label, [r["buckets"][i] for r in rows]) for i, (label, _, _) in enumerate(AGE_BUCKETS)],
        fmt=format_money, axis_fmt=charts.compact_money, chart_id="morosidad", description="Aportes vencidos e impagos por empresa y antigüedad")


def board(user, today: dt.date) -> dict[str, Any]:
    count, queue = trust_data.awaiting_vote(user.id)
    programs = trust_data.program_rows(today.year)
    program_ids = [p["id"] for p in programs]
    return {"vote_count": count, "queue": queue, "funds": trust_data.fund_position(), "programs": programs,
            "program_chart": program_chart(programs, today.year),
            "program_indicators": indicator_summary(("program", program_ids))["rows"] if program_ids else []}


def trustee(user, today: dt.date) -> dict[str, Any]:
    pay_count, pay_total, payments = trust_data.payments_to_confirm()
    exec_count, exec_total, executions = trust_data.to_execute()
    diff_count, differences = trust_data.reconciliation()
    ageing = trust_data.ageing(today)
    return {"pay_count": pay_count, "pay_total": pay_total, "payments": payments, "exec_count": exec_count,
            "exec_total": exec_total, "executions": executions, "diff_count": diff_count,
            "differences": differences, "next_period": trust_data.next_period(today),
            "funds": trust_data.fund_position(), "flows_chart": flows_chart(today),
            "ageing_chart": ageing_chart(ageing)}


def overview(user, today: dt.date) -> dict[str, Any]:
    pipeline = oxi.pipeline()
    programs = trust_data.program_rows(today.year)
    return {"totals": oxi.totals(), "pipeline": pipeline, "stage_label": stages.label,
            "funds": trust_data.fund_position(), "flows_chart": flows_chart(today),
            "ageing_totals": trust_data.ageing_totals(today), "programs": programs,
            "program_chart": program_chart(programs, today.year),
            "funnel": charts.bar_chart("Proyectos por etapa", [(stages.label(s), c) for s, c, _ in pipeline
                                                               if s in stages.MAIN_STAGES],
                                       funnel=True, chart_id="embudo", value_label="Proyectos", width=560)}


BUILDERS = {"staff": staff, "company": company, "board": board, "trustee": trustee, "overview": overview}


def context_for(user, today: dt.date | None = None) -> tuple[str, dict[str, Any]]:
    today = today or clock.today()
    name = TEMPLATES.get(user.role, "overview")
    context = BUILDERS[name](user, today)
    context["indicators"] = indicator_counts()
    context["links"] = {key: link(endpoint, user) for key, endpoint in {
        "projects": "projects.index", "pipeline": "projects.pipeline", "new_project": "projects.create",
        "my_certificates": "projects.company_panel", "indicators": "indicators.report", "audit": "admin.audit_log",
        "users": "admin.users", "rules": "admin.rules", "orgs": "orgs.companies", "exports": "exports.index",
        "trust": "trust.overview", "trust_company": "trust.company_home", "board_queue": "trust.board_queue",
        "trustee_home": "trust.trustee_home", "public": "public.home"}.items()}
    context["today"] = today
    context["deadlines"] = deadlines(user, today, href=lambda ob: link(ob.endpoint, user, **dict(ob.params)))
    context["deadlines"]["calendar_href"] = link("notifications.preferences", user)
    return f"dashboards/{name}.html", context
