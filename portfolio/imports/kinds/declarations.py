"""Payroll declarations: each row declares a month for a company, or rectifies it if already declared.

A company user imports for its own company only (a row with another RUC is an error on that row); the
trustee may import for any active registered company, the RUC column choosing it row by row (an unknown or
inactive RUC is an error on its row), and the trust service records that it acted on that company's behalf. Rows go through the trust's ``declare`` / ``rectify``
services, so the amount due, the ledger posting and every rule are exactly those of the form.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from portfolio import clock, db
from portfolio.auth.roles import COMPANY
from portfolio.domain_errors import DomainError
from portfolio.imports import adapters
from portfolio.imports.base import (
    CREATE,
    UNCHANGED,
    UPDATE,
    Action,
    ImportKind,
    Plan,
    date_of,
    duplicates,
    money_of,
)
from portfolio.imports.reader import Column
from portfolio.money import format_money
from portfolio.orgs.models import Company

MAX_HEADCOUNT = 1_000_000


class DeclarationsImport(ImportKind):
    key = "declaraciones"
    title = "Declaraciones de planilla"
    description = "Declare o rectifique varios meses de planilla a la vez (aporte de 0.15 % al fideicomiso)."
    sheet_name = "Declaraciones"
    permission = "imports.declarations"
    confirm_question = "¿Registrar estas declaraciones? Se generará el aporte adeudado de cada mes."
    columns = (
        Column("ruc", "RUC", "ruc", aliases=("ruc de la empresa", "ruc empresa", "numero de ruc"),
               help="RUC de la empresa que declara (11 dígitos).", example="20512333797"),
        Column("month", "Periodo", "period", aliases=("periodo mes ano", "mes", "mes ano", "mes/ano", "periodo declarado"),
               help="Mes declarado: mm/aaaa (p. ej. 03/2026) o una fecha del mes.", example="03/2026"),
        Column("payroll", "Planilla bruta", "money",
               aliases=("planilla bruta mensual", "planilla", "monto de planilla", "remuneraciones"),
               help="Planilla bruta del mes en soles, hasta dos decimales: 1234567.89, 1,234,567.89 o "
                    "S/\u00a01,234,567.89.", example=Decimal("1250000.00")),
        Column("headcount", "Número de trabajadores", "integer",
               aliases=("numero de trabajadores", "n trabajadores", "no trabajadores", "trabajadores", "nro trabajadores"),
               help="Trabajadores en planilla en el mes (entero, al menos 1).", example=120),
    )
    help_notes = (
        "Cada fila declara un mes. Si el mes ya está declarado, la fila lo rectifica con los nuevos datos; "
        "si los datos son iguales, no cambia nada.",
        "Una empresa solo puede importar declaraciones con su propio RUC; el fiduciario puede declarar en nombre "
        "de cualquier empresa activa, indicando su RUC en cada fila.",
        "No se pueden declarar meses futuros. Las fórmulas no se calculan: escriba los valores.",
    )

    tile_labels = {CREATE: "Se declararán", UPDATE: "Se rectificarán", UNCHANGED: "Sin cambios"}
    done_counts = {CREATE: "declaradas", UPDATE: "rectificadas", UNCHANGED: "sin cambios"}

    def label_for(self, action: Action) -> str:
        return {CREATE: "Se declarará", UPDATE: "Se rectificará"}.get(action.action, action.label)

    def done_label_for(self, action: Action) -> str:
        return {CREATE: "Declarada", UPDATE: "Rectificada"}.get(action.action, action.label)

    def scope(self, user) -> str:
        return f"company:{user.company_id}" if user.role == COMPANY else "all"

    def example_row(self, user) -> list[object]:
        row = super().example_row(user)
        if user is not None and getattr(user, "company", None) is not None:
            row[0] = user.company.ruc
        return row

    def plan(self, rows: Sequence[dict[str, Any]], user) -> Plan:
        plan = Plan()
        today = clock.today()
        rucs = {r["ruc"] for r in rows if r.get("ruc")}
        companies = {c.ruc: c for c in db.session.scalars(select(Company).where(Company.ruc.in_(rucs)))} if rucs else {}
        own_ruc = user.company.ruc if user.role == COMPANY else None
        valid: list[dict[str, Any]] = []
        for row in rows:
            # A cell that did not parse is already reported; the row's other cells are still checked, so that
            # one upload lists every problem of the row.
            problems = []
            company = companies.get(row["ruc"])
            if row["ruc"] is None:
                pass
            elif own_ruc is not None and row["ruc"] != own_ruc:
                problems.append(self.issue(row, "ruc", f"Este RUC no es el de su empresa ({own_ruc}); solo puede "
                                                       "declarar para su propia empresa."))
            elif company is None:
                problems.append(self.issue(row, "ruc", "No hay una empresa registrada con este RUC."))
            elif not company.active:
                problems.append(self.issue(row, "ruc", "La empresa está inactiva."))
            month, payroll = date_of(row, "month"), money_of(row, "payroll")
            if month is not None and month > today.replace(day=1):
                problems.append(self.issue(row, "month", "No se puede declarar un mes futuro.", f"{month:%m/%Y}"))
            if payroll is not None and payroll <= 0:
                problems.append(self.issue(row, "payroll", "La planilla bruta debe ser mayor que cero."))
            if row["headcount"] is not None and not 1 <= row["headcount"] <= MAX_HEADCOUNT:
                problems.append(self.issue(row, "headcount", "Debe haber al menos 1 trabajador."))
            plan.errors.extend(problems)
            if row["_ok"] and not problems:
                valid.append(row | {"_company_id": company.id, "_company": company.legal_name})
        plan.errors.extend(duplicates(self, rows, ("ruc", "month"), lambda r: f"el periodo {r['month'][5:7]}/"
                                      f"{r['month'][:4]} del RUC {r['ruc']}"))
        amount_due = adapters.AmountDue()
        existing = adapters.declarations_for({r["_company_id"] for r in valid}, {date_of(r, "month") for r in valid})
        for row in valid:
            month, payroll, headcount = date_of(row, "month"), money_of(row, "payroll"), row["headcount"]
            due = amount_due(payroll, month)
            title = f"{row['_company']} – {month:%m/%Y}"
            data = {"company_id": row["_company_id"], "month": row["month"], "payroll": row["payroll"],
                    "headcount": headcount, "amount_due": f"{due:.2f}"}
            current = existing.get((row["_company_id"], month))
            if current is None:
                plan.actions.append(Action(row["_row"], CREATE, f"Declaración {title}",
                                           f"Planilla {format_money(payroll)}, {headcount} trabajadores; "
                                           f"aporte {format_money(due)}", data))
            elif current["payroll"] == payroll and current["headcount"] == headcount:
                plan.actions.append(Action(row["_row"], UNCHANGED, f"Declaración {title}",
                                           f"Ya declarada con los mismos datos; aporte {format_money(current['amount_due'])}",
                                           data))
            elif due < current["floor"]:
                plan.errors.append(self.issue(row, "payroll", (
                    f"La rectificación dejaría un aporte de {format_money(due)}, menor que lo ya pagado o registrado "
                    f"({format_money(current['floor'])}).")))
            else:
                plan.actions.append(Action(row["_row"], UPDATE, f"Rectificación {title}", (
                    f"Planilla {format_money(current['payroll'])} → {format_money(payroll)}; trabajadores "
                    f"{current['headcount']} → {headcount}; aporte {format_money(current['amount_due'])} → "
                    f"{format_money(due)}"), data | {"contribution_id": current["id"]}))
        return plan

    def apply(self, plan: Plan, user, *, batch_id: int) -> dict[str, int]:
        from portfolio.imports.services import row_error

        counts = {"declaradas": 0, "rectificadas": 0}
        for action in plan.actions:
            if action.action not in (CREATE, UPDATE):
                continue
            data, key = action.data, f"import-{batch_id}-row-{action.row}"
            payroll, month = Decimal(data["payroll"]), dt.date.fromisoformat(data["month"])
            try:
                if action.action == CREATE:
                    adapters.declare(company_id=data["company_id"], month=month, payroll=payroll,
                                     headcount=data["headcount"], actor=user, key=key)
                    counts["declaradas"] += 1
                else:
                    adapters.rectify(contribution_id=data["contribution_id"], payroll=payroll,
                                     headcount=data["headcount"], actor=user, key=key,
                                     reason=f"Rectificación por importación de planilla (lote {batch_id}, fila "
                                            f"{action.row})")
                    counts["rectificadas"] += 1
            except DomainError as exc:
                raise row_error(action.row, exc) from exc
        return counts
