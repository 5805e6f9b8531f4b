"""Status vocabularies are StrEnums: no status string is written out in the code outside its enum.

Templates may keep their display strings; Python code compares against enum members, and CHECK
constraints and transition tables are built from the enums.
"""
from __future__ import annotations

import inspect
import re
from enum import StrEnum
from pathlib import Path

import portfolio
from portfolio.exports.models import ExportJob, ExportStatus
from portfolio.imports.models import ImportBatch, ImportStatus
from portfolio.indicators.vocab import IndicatorStatus
from portfolio.notifications.vocab import Channel, EmailStatus, ObligationState
from portfolio.projects import certificates, stages
from portfolio.projects.vocab import CertificateStatus, MilestoneStatus, Stage
from portfolio.trust import ledger
from portfolio.trust.models import Disbursement, Organization, Payment, Vote
from portfolio.trust.services import disbursements
from portfolio.trust.vocab import (
    ContributionStatus,
    DisbursementStatus,
    LegalStatus,
    PaymentStatus,
    VoteDecision,
)

PACKAGE = Path(portfolio.__file__).resolve().parent
VOCABULARIES: list[type[StrEnum]] = [
    Stage, MilestoneStatus, CertificateStatus, PaymentStatus, ContributionStatus, DisbursementStatus, LegalStatus,
    VoteDecision, ledger.TransferStatus, ImportStatus, ExportStatus, IndicatorStatus,
    ObligationState, Channel, EmailStatus,  # ObligationKind names kinds, not states (and shares words with entries)
]
# The same word in another vocabulary that is not ours: (file, literal) → how many times, and why.
NOT_OURS = {
    ("trust/exports.py", "pending"): 1,             # the key of the "Por pagar" spreadsheet column
    ("trust/seeds.py", "parcial"): 2,               # a demo company's payment behaviour
    ("trust/ledger/models.py", "pendiente"): 1,     # the Spanish label of a pending transfer
}


def _definition_lines(enum: type[StrEnum]) -> set[tuple[Path, int]]:
    source, first = inspect.getsourcelines(enum)
    path = Path(inspect.getsourcefile(enum)).resolve()
    return {(path, first + i) for i in range(len(source))}


def test_no_status_literal_outside_its_enum():
    allowed = set().union(*(_definition_lines(e) for e in VOCABULARIES))
    words = {member.value for enum in VOCABULARIES for member in enum}
    alternatives = "|".join(sorted(words, key=len, reverse=True))
    pattern = re.compile(r"""(?<![\w.])(["'])(""" + alternatives + r""")\1""")
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if (path, number) in allowed:
                continue
            for match in pattern.finditer(line):
                key = (path.relative_to(PACKAGE).as_posix(), match.group(2))
                found.setdefault(key, []).append(f"portfolio/{key[0]}:{number}: {line.strip()}")
    stray = [hit for key, hits in found.items() if len(hits) != NOT_OURS.get(key, 0) for hit in hits]
    assert not stray, "status literals outside their StrEnum:\n" + "\n".join(stray)
    assert len(words) > 30  # the scan looked for the real vocabularies


def test_check_constraints_list_exactly_the_enum_values():
    checks = {
        (Payment.__table__, "status"): PaymentStatus,
        (Disbursement.__table__, "status"): DisbursementStatus,
        (Organization.__table__, "legal_status"): LegalStatus,
        (Vote.__table__, "decision"): VoteDecision,
        (ledger.Transfer.__table__, "status"): ledger.TransferStatus,
        (ImportBatch.__table__, "status"): ImportStatus,
        (ExportJob.__table__, "status"): ExportStatus,
    }
    for (table, column), enum in checks.items():
        texts = [str(c.sqltext) for c in table.constraints if str(getattr(c, "sqltext", "")).startswith(f"{column} IN")]
        expected = f"{column} IN ({', '.join(repr(m.value) for m in enum)})"
        assert texts == [expected], (table.name, texts)


def test_transition_tables_are_keyed_by_members_and_cover_the_vocabulary():
    tables = [(stages.TRANSITIONS, Stage), (certificates.CERTIFICATE_TRANSITIONS, CertificateStatus),
              (disbursements.TRANSITIONS, DisbursementStatus), (ledger.TRANSITIONS, ledger.TransferStatus)]
    for table, enum in tables:
        assert set(table) == set(enum), enum.__name__
        for source, targets in table.items():
            assert type(source) is enum
            values = targets.values() if isinstance(targets, dict) else targets
            assert all(type(target) is enum for target in values), (enum.__name__, source)


def test_members_are_the_stored_strings():
    # No migration: every member's value is the string the database already holds.
    assert Stage.EN_EJECUCION == "en_ejecucion" and DisbursementStatus.EN_EJECUCION == "en_ejecucion"
    assert f"{PaymentStatus.CONFIRMADO}" == "confirmado" and str(ledger.TransferStatus.PENDING) == "pending"
    assert {"aprobado": 1}[DisbursementStatus.APROBADO] == 1  # members find plain-string keys


def test_roles_are_compared_through_the_enum():
    # Role words double as dict keys and column names ("company"), so this scan looks only where a role is
    # meant: comparisons with ``.role``, ``require_role(...)`` and tuples of roles.
    from portfolio.auth.roles import ROLES, Role

    assert ROLES == tuple(Role) and all(isinstance(role, Role) for role in ROLES)
    names = "|".join(Role)
    pattern = re.compile(r"""(\.role\s*(==|!=|in)\s*\(?|require_role\([^)]*|_ROLES\s*=\s*\(|REQUESTERS\s*=\s*\("""
                         r"""|MANAGERS\s*=\s*\()["'](""" + names + r""")["']""")
    stray = [f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
             for path in sorted(PACKAGE.rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if pattern.search(line)]
    assert not stray, "role literals outside Role:\n" + "\n".join(stray)
