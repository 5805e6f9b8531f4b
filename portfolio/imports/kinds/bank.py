"""Bank statement reconciliation (trustee): the trust bank's credits against the payments companies registered.

Each statement line is matched by operation number: same number and amount → an exact match (confirmed, on
request, through the trust's ``confirm_payment`` service); same number, other amount, another payer's
RUC or another company's payment registered with the same bank operation (ambiguous: the trustee decides) → a
discrepancy to look at; no registered payment → a credit nobody registered. Registered payments
still awaiting confirmation that the statement does not show are listed on the other side. Only the exact
matches change anything.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from portfolio.domain_errors import DomainError
from portfolio.imports import adapters
from portfolio.imports.base import (
    CREATE,
    INFO,
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
from portfolio.trust.vocab import LIVE_PAYMENTS, PaymentStatus

OPERATION_RE = re.compile(r"^[A-Z0-9-]{4,30}$")
GROUPS = {
    "conciliado": "Coincidencias exactas (se confirmarán)",
    "ya_confirmado": "Ya confirmados (sin cambios)",
    "discrepancia": "Discrepancias (no se confirman)",
    "sin_registro": "Movimientos del extracto sin pago registrado",
    "no_en_extracto": "Pagos registrados que no aparecen en el extracto",
}


class BankStatementImport(ImportKind):
    key = "extracto"
    title = "Conciliación del extracto bancario"
    description = "Compare los abonos del banco con los pagos registrados por las empresas y confirme los que coinciden."
    sheet_name = "Extracto"
    permission = "imports.bank"
    confirm_label = "Confirmar los pagos que coinciden"
    confirm_question = "¿Confirmar los pagos que coinciden exactamente? Cada uno se asentará en el libro del fideicomiso."
    groups = GROUPS
    tile_labels = {CREATE: "Se crearán", UPDATE: "Se confirmarán", UNCHANGED: "Sin cambios"}
    done_counts = {UPDATE: "pagos confirmados", UNCHANGED: "ya confirmados", INFO: "para revisar"}
    nothing_message = "Ningún movimiento coincide exactamente con un pago por confirmar: no hay nada que confirmar."
    columns = (
        Column("date", "Fecha", "date", aliases=("fecha de operacion", "fecha operacion", "fecha valor"),
               help="Fecha del abono: dd/mm/aaaa.", example="15/03/2026"),
        Column("amount", "Monto", "money", aliases=("importe", "abono", "monto abonado"),
               help="Importe abonado en soles (solo abonos, sin signo), hasta dos decimales.",
               example="1,875.00"),
        Column("operation", "Número de operación", "text",
               aliases=("numero de operacion", "n operacion", "nro operacion", "operacion", "no operacion"),
               help="Número de operación del banco (4 a 30 letras o dígitos).", example="00123456", max_length=40),
        Column("description", "Descripción", "text", required=False, aliases=("concepto", "glosa", "detalle"),
               help="Glosa del movimiento (opcional).", example="ABONO APORTE FIDEICOMISO", max_length=300),
        Column("payer_ruc", "RUC del pagador", "ruc", required=False, aliases=("ruc pagador", "ruc ordenante", "ruc"),
               help="RUC de quien pagó, si el banco lo informa (opcional).", example="20512333797"),
    )
    help_notes = (
        "Incluya solo los abonos (ingresos) de la cuenta del fideicomiso; los cargos no se concilian aquí.",
        "Se confirman únicamente los pagos con el mismo número de operación y el mismo monto.",
    )

    def plan(self, rows: Sequence[dict[str, Any]], user) -> Plan:
        plan = Plan()
        valid = []
        for row in rows:
            if not row["_ok"]:
                continue
            row["operation"] = adapters.normalize_operation(row["operation"])
            if not OPERATION_RE.match(row["operation"]):
                plan.errors.append(self.issue(row, "operation", "El número de operación debe tener de 4 a 30 letras o "
                                                                "dígitos."))
                continue
            if money_of(row, "amount") <= 0:
                plan.errors.append(self.issue(row, "amount", "El monto debe ser mayor que cero."))
                continue
            valid.append(row)
        plan.errors.extend(duplicates(self, rows, ("operation",),
                                      lambda r: f"la operación {r['operation']}"))
        payments = adapters.payments_by_operation(r["operation"] for r in valid)
        for row in valid:
            plan.actions.append(self._match(row, payments.get(row["operation"], [])))
        if valid:
            until = max(date_of(r, "date") for r in valid)
            seen = {r["operation"] for r in valid}
            for payment in adapters.pending_payments(until):
                if payment["operation"] not in seen:
                    plan.actions.append(Action(None, INFO, f"{payment['company']} – operación {payment['operation']}",
                                               f"{format_money(payment['amount'])} pagado el "
                                               f"{payment['paid_on']:%d/%m/%Y} ({payment['bank']}), sin abono en el "
                                               "extracto", group="no_en_extracto"))
        return plan

    def _match(self, row: dict[str, Any], candidates: list[dict[str, Any]]) -> Action:
        amount, on = money_of(row, "amount"), date_of(row, "date")
        title = f"Operación {row['operation']} del {on:%d/%m/%Y} por {format_money(amount)}"
        if not candidates:
            return Action(row["_row"], INFO, title, "Ningún pago registrado con este número de operación.",
                          group="sin_registro")
        same = [p for p in candidates if p["amount"] == amount]
        if not same:
            shown = ", ".join(f"{format_money(p['amount'])} ({p['company']})" for p in candidates)
            return Action(row["_row"], INFO, title, f"Mismo número de operación, monto distinto: registrado {shown}.",
                          group="discrepancia")
        if len(same) > 1:
            shown = "; ".join(_described(p) for p in same)
            return Action(row["_row"], INFO, title, f"Varios pagos registrados tienen este número y monto: {shown}. "
                          "Confirme el que corresponde desde la lista de pagos.", group="discrepancia")
        payment = same[0]
        who = f"{payment['company']} (RUC {payment['company_ruc']})"
        if row.get("payer_ruc") and row["payer_ruc"] != payment["company_ruc"]:
            return Action(row["_row"], INFO, title, f"El pago registrado es de {who}, pero el extracto indica el RUC "
                          f"{row['payer_ruc']}.", group="discrepancia")
        if payment["status"] == PaymentStatus.CONFIRMADO:
            return Action(row["_row"], UNCHANGED, title, f"Pago de {who} ya confirmado.", group="ya_confirmado")
        if payment["status"] != PaymentStatus.REGISTRADO:
            return Action(row["_row"], INFO, title, f"El pago de {who} está {payment['status_label'].lower()}.",
                          group="discrepancia")
        rivals = [p for p in candidates if p["id"] != payment["id"] and p["bank"] == payment["bank"]
                  and p["status"] in LIVE_PAYMENTS]
        if rivals:  # another company registered the same bank operation: the trustee decides, never the import
            return Action(row["_row"], INFO, title, f"Pago de {who}, pero otra empresa registró la misma operación "
                          f"{payment['bank']}: {'; '.join(_described(p) for p in rivals)}. No se confirma "
                          "automáticamente: confirme el que corresponde desde la lista de pagos y rechace el otro.",
                          group="discrepancia")
        note = "" if payment["paid_on"] == on else f" (la empresa indicó el {payment['paid_on']:%d/%m/%Y})"
        return Action(row["_row"], UPDATE, title, f"Pago de {who}{note}.", {"payment_id": payment["id"]},
                      group="conciliado")

    def label_for(self, action: Action) -> str:
        return {"conciliado": "Se confirmará", "ya_confirmado": "Sin cambios"}.get(action.group, "Revisar")

    def done_label_for(self, action: Action) -> str:
        return {"conciliado": "Confirmado", "ya_confirmado": "Sin cambios"}.get(action.group, "Por revisar")

    def apply(self, plan: Plan, user, *, batch_id: int) -> dict[str, int]:
        from portfolio.imports.services import row_error

        confirmed = 0
        for action in plan.actions:
            if action.action != UPDATE:
                continue
            try:
                adapters.confirm_payment(payment_id=action.data["payment_id"], actor=user,
                                         key=f"import-{batch_id}-row-{action.row}")
            except DomainError as exc:
                raise row_error(action.row, exc) from exc
            confirmed += 1
        return {"confirmados": confirmed}


def _described(payment: dict[str, Any]) -> str:
    return (f"{payment['company']} (RUC {payment['company_ruc']}), {payment['bank']}, {format_money(payment['amount'])}, "
            f"{payment['status_label'].lower()}")
