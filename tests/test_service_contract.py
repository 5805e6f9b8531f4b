"""One service contract: every mutating service takes keyword-only arguments and a required ``actor`` and checks
a permission of the same policy table as the routes before its body; the audit trail never reads Flask's user.

The walk covers every module named ``services`` (and the packages' other service modules). A public function
there is either declared with ``@service(permission)`` or listed in ``READS`` with the reason it needs no
permission (it reads, validates or is an internal step of a declared service).
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

import portfolio
from portfolio import audit, db
from portfolio.auth.policy import PERMISSIONS, SYSTEM, SYSTEM_PERMISSIONS, allows, authorize, service
from portfolio.auth.roles import ROLES
from portfolio.db_types import Base
from portfolio.domain_errors import Forbidden
from tests.support import ActingAs

OTHER_SERVICE_MODULES = ("portfolio.projects.certificates", "portfolio.projects.execution", "portfolio.projects.stages",
                         "portfolio.rules")

# Public functions of the service modules that are not mutating services, each with its reason.
READS: dict[str, str] = {
    # accounts
    "portfolio.auth.services.normalize_email": "pure: lower-cases and trims an e-mail",
    "portfolio.auth.services.start_session": "login door (no actor yet): opens the server-side session of a login",
    "portfolio.auth.services.end_session": "logout: ends the caller's own server-side session, any role",
    "portfolio.imports.services.recent_batches": "read: the actor's latest uploads",
    "portfolio.indicators.services.next_quarter_to_measure": "read: the measurement form's default quarter",
    "portfolio.projects.stages.suggested_target": "read: the stage form's default (first stage whose checks pass)",
    "portfolio.rules.display_rule_value": "pure formatting of a rule value («Sí», «día 15»)",
    "portfolio.rules.parse_schedule": "pure validation of a reminder schedule («-5,1,15», «alta,0»)",
    "portfolio.rules.rule_schedule": "read: the reminder schedule in force on a date",
    "portfolio.trust.services.books.month_end_reconciliation": "read: bank statement vs ledger at a month's end",
    "portfolio.trust.services.books.require_reconciled": "check step of close_period (bank balance = ledger)",
    "portfolio.trust.services.books.next_period_to_close": "read: the next month that may close, in order",
    "portfolio.trust.services.books.arrears_totals": "read: arrears totals by ageing bucket",
    "portfolio.trust.services.contributions.contribution_for": "pure: the 0.15 % rule on a payroll, one rounding",
    "portfolio.trust.services.contributions.normalize_operation": "pure: a bank operation number as stored",
    "portfolio.trust.services.contributions.rectification_floor": "pure: what a rectification may not go below",
    "portfolio.trust.services.contributions.preview_rate": "read: the rate the declaration form previews",
    "portfolio.trust.services.disbursements.allocation_room": "read: what is left of a program's allocation",
    "portfolio.auth.services.authenticate": "login door (no actor yet): the credentials are the check",
    "portfolio.auth.services.validate_password": "pure validation of the password policy",
    "portfolio.auth.services.get_user": "read: one user or NotFound (the route holds users.manage)",
    # imports
    "portfolio.imports.services.kinds": "read: the registry of import kinds",
    "portfolio.imports.services.get_kind": "read: one import kind or NotFound",
    "portfolio.imports.services.limits": "read: configured size and row limits",
    "portfolio.imports.services.read_and_plan": "read: parses a file and plans it, changes nothing",
    "portfolio.imports.services.applied_batch": "read: the earlier applied batch of the same file",
    "portfolio.imports.services.get_batch": "read: the user's own batch or NotFound",
    "portfolio.imports.services.replan": "read: plans a stored batch again, changes nothing",
    "portfolio.imports.services.row_error": "pure: locates a service's refusal at a row",
    # indicators
    "portfolio.indicators.services.parse_value": "pure validation of a typed indicator value",
    "portfolio.indicators.services.owner_choices": "read: the possible owners for a form",
    "portfolio.indicators.services.owner_names": "read: owner names of some indicators",
    "portfolio.indicators.services.get_indicator": "read: one indicator or NotFound",
    "portfolio.indicators.services.current_measurement": "read: the current version of a quarter",
    "portfolio.indicators.services.history": "read: every measurement version",
    "portfolio.indicators.services.quarter_report": "read: the quarterly report",
    "portfolio.indicators.services.status_counts": "pure: counts report rows by status",
    "portfolio.indicators.services.series": "read: the chart series of one indicator",
    "portfolio.indicators.services.latest_quarter": "read: the latest measured quarter",
    # orgs
    "portfolio.orgs.services.get_company": "read: one company or NotFound",
    # documents
    "portfolio.documents.services.stage_upload": "door step: copies the upload to a staging file (no row, no store)",
    "portfolio.documents.services.cast_with_dossier": "internal step of trust.vote (the ballot with its documents and hashes)",
    "portfolio.orgs.services.get_entity": "read: one public entity or NotFound",
    "portfolio.orgs.services.cap_for": "read: an entity's CIPRL cap of a year",
    # projects
    "portfolio.projects.services.money_value": "pure validation of an amount",
    "portfolio.projects.services.pct_value": "pure validation of a percentage",
    "portfolio.projects.services.check_version": "optimistic-locking check used inside declared services",
    "portfolio.projects.services.flush_or_conflict": "flush step of declared services (stale version → Conflict)",
    "portfolio.projects.services.parse_locations": "pure validation of ubigeo codes",
    "portfolio.projects.certificates.company_panel": "read: a company's holdings and tax share",
    "portfolio.projects.certificates.live": "pure: does a certificate count against the caps",
    "portfolio.projects.stages.label": "pure: the Spanish label of a stage",
    "portfolio.projects.stages.allowed_next": "pure: the transition table",
    "portfolio.projects.stages.check_transition": "read: the precondition of a transition (called by transition)",
    # rules
    "portfolio.rules.owner_permission": "pure: which permission owns a rule",
    "portfolio.rules.rules_owned_by": "pure: the rules a permission owns",
    "portfolio.rules.rule_value": "read: the value in force on a date",
    "portfolio.rules.remember_rules": "read: several rules in force on a date, with one statement",
    "portfolio.rules.rule_columns": "read: rules in force on a date, as columns of another statement",
    "portfolio.rules.remember_rule_columns": "read: keeps the rule values another statement read, for rule_value",
    "portfolio.rules.parse_rule_value": "pure validation of a rule value",
    # trust
    "portfolio.trust.services.books.fund_position": "read: bank, reserved and available balances",
    "portfolio.trust.services.books.bank_account_ids": "read: the bank accounts of the chart",
    "portfolio.trust.services.books.bank_reconciliation": "read: ledger against recorded bank balances",
    "portfolio.trust.services.books.bank_balance_on": "read: the bank accounts' ledger balance at a date",
    "portfolio.trust.services.books.bank_balances_on": "read: the bank accounts' ledger balance at several dates",
    "portfolio.trust.services.books.trust_statement": "read: the trust's statement of a period",
    "portfolio.trust.services.books.company_statement": "read: a company's statement of a period",
    "portfolio.trust.services.books.arrears_ageing": "read: arrears by age",
    "portfolio.trust.services.books.program_summary": "read: allocation, committed and paid per program",
    "portfolio.trust.services.books.collection_summary": "read: declared, paid and owed totals",
    "portfolio.trust.services.common.chart_of_accounts": "idempotent bootstrap of the fixed accounts, called by "
                                                         "declared services and the reference seeds",
    "portfolio.trust.services.common.fixed_account": "read: one fixed account (created with the chart)",
    "portfolio.trust.services.common.company_receivable": "ledger step of declared services: a company's account",
    "portfolio.trust.services.common.fixed_accounts": "read: several fixed accounts in one SELECT",
    "portfolio.trust.services.common.company_accounts": "ledger step of declared services: a company's account "
                                                        "and a fixed one in one SELECT",
    "portfolio.trust.services.common.receivable_code": "pure: the code of a company's receivable account",
    "portfolio.trust.services.common.program_expense": "ledger step of declared services: a program's account",
    "portfolio.trust.services.common.program_expense_code": "pure: the code of a program's expense account",
    "portfolio.trust.services.common.program_accounts": "ledger step of declared services: a program's account "
                                                         "and fixed accounts in one SELECT",
    "portfolio.trust.services.common.command": "idempotency wrapper run inside declared services",
    "portfolio.trust.services.common.positive_amount": "pure validation of an amount",
    "portfolio.trust.services.common.add_month": "pure date arithmetic",
    "portfolio.trust.services.common.day_in_month": "pure date arithmetic",
    "portfolio.trust.services.common.actor_id": "pure: the id of an actor",
    "portfolio.trust.services.contributions.amount_due": "pure: the contribution due on a payroll",
    "portfolio.trust.services.contributions.due_date_for": "read: the due date of a month (rule in force)",
    "portfolio.trust.services.contributions.get_contribution": "read: one contribution (company scope) or NotFound",
    "portfolio.trust.services.contributions.get_payment": "read: one payment (company scope) or NotFound",
    "portfolio.trust.services.contributions.pending_registered": "read: registered, unconfirmed payments",
    "portfolio.trust.services.disbursements.get_disbursement": "read: one disbursement or NotFound",
    "portfolio.trust.services.disbursements.normalize_invoice": "pure validation of an invoice's RUC, serie, número",
    "portfolio.trust.services.disbursements.invoice_in_use": "read: the disbursement an invoice already backs",
    "portfolio.trust.services.disbursements.allocation_for": "read: a program's allocation of a year",
    "portfolio.trust.services.disbursements.committed_for": "read: what a program's allocation already committed",
    "portfolio.trust.services.board.active_board": "read: the active board members",
    "portfolio.trust.services.board.board_and_recused": "read: the active board and who of it is recused, one SELECT",
    "portfolio.trust.services.board.quorum_needed": "read: the quorum rule in force",
    "portfolio.trust.services.board.eligible_voters": "read: who may vote on a disbursement",
    "portfolio.trust.services.board.tally": "read: the votes so far",
    "portfolio.trust.services.programs.programs": "read: every program",
    "portfolio.trust.services.programs.organizations": "read: every organisation",
    "portfolio.trust.services.verify.domain_problems": "read: consistency checks of the books",
    "portfolio.trust.services.verify.allocation_problems": "read: each allocation's committed amount against its disbursements",
}


def _service_modules() -> list[str]:
    names = [info.name for info in pkgutil.walk_packages(portfolio.__path__, prefix="portfolio.")
             if "services" in info.name.split(".")]
    return sorted(set(names) | set(OTHER_SERVICE_MODULES))


def _public_functions() -> list[tuple[str, object]]:
    found = []
    for name in _service_modules():
        module = importlib.import_module(name)
        for attr, fn in vars(module).items():
            if attr.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != name:
                continue
            found.append((f"{name}.{attr}", fn))
    return found


FUNCTIONS = _public_functions()
SERVICES = [(qualname, fn) for qualname, fn in FUNCTIONS if hasattr(fn, "permissions")]


def test_the_walk_finds_the_services():
    names = {qualname for qualname, _ in SERVICES}
    for expected in ("portfolio.projects.services.create_project", "portfolio.orgs.services.create_company",
                     "portfolio.trust.services.disbursements.vote", "portfolio.imports.services.apply",
                     "portfolio.auth.services.create_user", "portfolio.rules.add_rule_value",
                     "portfolio.projects.execution.add_variation", "portfolio.indicators.services.set_target"):
        assert expected in names
    assert len(SERVICES) >= 40


def test_every_public_service_function_declares_a_policy_permission_or_is_a_listed_read():
    undeclared = [qualname for qualname, fn in FUNCTIONS if not hasattr(fn, "permissions") and qualname not in READS]
    assert undeclared == [], f"declare these with @service(permission) or list them in READS with a reason: {undeclared}"
    for qualname, fn in SERVICES:
        assert fn.permissions and set(fn.permissions) <= set(PERMISSIONS), qualname
        assert qualname not in READS, f"{qualname} is declared and also listed as a read"


def test_the_read_list_names_only_existing_functions_each_with_a_reason():
    names = {qualname for qualname, _ in FUNCTIONS}
    stale = sorted(set(READS) - names)
    assert stale == []
    assert all(reason.strip() for reason in READS.values())


@pytest.mark.parametrize("qualname,fn", SERVICES, ids=[q for q, _ in SERVICES])
def test_each_service_is_keyword_only_with_a_required_actor_and_a_one_line_rule(qualname, fn):
    params = inspect.signature(fn.__wrapped__).parameters
    assert all(p.kind is p.KEYWORD_ONLY for p in params.values()), qualname
    assert params["actor"].default is inspect.Parameter.empty, qualname
    doc = (fn.__doc__ or "").strip()
    assert doc and doc.splitlines()[0].strip(), f"{qualname} needs a one-line docstring naming its rule"


def _row_counts() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables}


def _actors_lacking(permissions: tuple[str, ...]) -> list[object]:
    lacking = [ActingAs(role, company_id=1) for role in ROLES if not any(allows(ActingAs(role), p) for p in permissions)]
    holder = ActingAs(next(role for role in ROLES if allows(ActingAs(role), permissions[0])), company_id=1)
    holder.is_active = False  # a deactivated holder of the permission is refused too
    lacking += [None, holder]
    if not set(permissions) & SYSTEM_PERMISSIONS:
        lacking.append(SYSTEM)
    return lacking


@pytest.mark.parametrize("qualname,fn", SERVICES, ids=[q for q, _ in SERVICES])
def test_each_service_refuses_an_actor_without_its_permission_and_changes_nothing(ctx, qualname, fn):
    dummy = {name: None for name in inspect.signature(fn.__wrapped__).parameters if name != "actor"}
    before = _row_counts()
    actors = _actors_lacking(fn.permissions)
    # a service every role may use (a user's own API keys) is still refused to anonymous and deactivated users
    everyone = all(any(allows(ActingAs(role), p) for p in fn.permissions) for role in ROLES)
    assert len(actors) >= (2 if everyone else 3)
    for actor in actors:
        with pytest.raises(Forbidden):
            fn(**dummy, actor=actor)
    assert not db.session.new and not db.session.dirty and not db.session.deleted
    db.session.flush()
    assert _row_counts() == before


def test_the_check_runs_before_the_body():
    calls = []

    @service("projects.manage")
    def probe(*, actor):
        """Test probe."""
        calls.append(actor)

    with pytest.raises(Forbidden, match="Su rol no permite"):
        probe(actor=ActingAs("auditor"))
    assert calls == []
    probe(actor=ActingAs("staff"))
    assert len(calls) == 1
    with pytest.raises(TypeError, match="actor"):
        probe()


def test_a_signature_that_breaks_the_contract_fails_when_it_is_declared():
    with pytest.raises(TypeError, match="keyword-only"):
        @service("projects.manage")
        def positional(project, *, actor):
            """Bad."""
    with pytest.raises(TypeError, match="required"):
        @service("projects.manage")
        def optional_actor(*, project, actor=None):
            """Bad."""
    with pytest.raises(KeyError):
        service("no.such.permission")


def test_system_holds_only_reference_permissions_and_never_money():
    assert {p for p in PERMISSIONS if allows(SYSTEM, p)} == SYSTEM_PERMISSIONS
    for money in ("trust.declare", "trust.pay", "trust.confirm", "trust.vote", "trust.execute", "trust.close_period",
                  "trust.request", "trust.rules.manage", "certificates.manage", "tax_share.declare"):
        with pytest.raises(Forbidden):
            authorize(SYSTEM, money)


def test_audit_module_never_reads_the_web_request_user():
    source = Path(audit.__file__).read_text(encoding="utf-8")
    assert "current_user" not in source and "flask_login" not in source


def test_an_audit_row_without_an_actor_is_a_programming_error(ctx):
    with pytest.raises(ValueError, match="without an actor"):
        audit.record("prueba.sin_actor", object_type="prueba", object_id=1, actor=None)


def test_the_command_line_is_recorded_as_the_system(ctx):
    from portfolio.auth import services

    user = services.create_user(email="cli@prueba.pe", name="Desde la consola", role="staff",
                                password="Clave-Muy-Segura-2026", actor=SYSTEM)
    entry = db.session.scalar(select(audit.AuditEntry).where(audit.AuditEntry.action == "user.create",
                                                             audit.AuditEntry.object_id == str(user.id)))
    assert entry.actor_id is None and entry.actor_email == "Sistema (línea de comandos)"
