"""Which notices are due today: the step of each obligation's schedule that falls today (or was missed within
``notify.catch_up_days``: a weekend, a stopped server), and who receives it with which channel.

- Only the latest step that has come is sent: a reminder missed while a later one is due is skipped, so a
  late run never sends a burst of stale reminders (nor does a first run over years of history).
- A step before the obligation arose is never sent (a payment declared on the due date gets no «5 days
  before»).
- A legal obligation (aporte, declaración) at +``notify.escalation_days`` adds two steps: the company's arrears
  letter (``cobranza``) and the trustee's notice (``escalado``).
- Channels: each user's choice per kind (absent: e-mail and in-app); the company's contact (its
  ``contact_email``) always gets the legal reminders by e-mail — as a user whose e-mail it is, whatever that
  user chose, or at the address alone when no user has it.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from portfolio import db
from portfolio.auth.models import User
from portfolio.auth.roles import BOARD, COMPANY, STAFF, TRUSTEE
from portfolio.notifications.models import NotificationPreference
from portfolio.notifications.obligations import Obligation
from portfolio.notifications.vocab import (
    LEGAL_KINDS,
    STEP_ESCALATION,
    STEP_LETTER,
    Channel,
    ObligationKind,
)
from portfolio.orgs.models import Company
from portfolio.rule_book import RuleBook
from portfolio.rules import SCHEDULE_START


def step_name(step: int | str) -> str:
    """How a schedule step is stored in a notice's key: «alta», «d-5», «d+0», «d+15»."""
    return SCHEDULE_START if step == SCHEDULE_START else f"d{int(step):+d}"


def step_day(ob: Obligation, step: int | str) -> dt.date:
    return ob.starts_on if step == SCHEDULE_START else ob.due_on + dt.timedelta(days=int(step))


def due_steps(ob: Obligation, schedule: tuple, today: dt.date, catch_up: int, escalation: int) -> list[str]:
    """The steps of ``ob`` to send on ``today``: the latest scheduled step come within the catch-up window, and
    at +``escalation`` days the letter and the escalation of a legal obligation."""
    window = today - dt.timedelta(days=catch_up)
    come = [(step_day(ob, s), step_name(s)) for s in schedule
            if ob.starts_on <= step_day(ob, s) <= today and step_day(ob, s) >= window]
    steps = [max(come)[1]] if come else []
    if ob.kind in LEGAL_KINDS:
        day = ob.due_on + dt.timedelta(days=escalation)
        if window <= day <= today:
            steps += [STEP_LETTER, STEP_ESCALATION]
    return steps


@dataclass(frozen=True)
class Recipient:
    key: str                # "user:<id>" or "mail:<address>"
    user_id: int | None
    email: str | None
    email_wanted: bool      # the channel includes e-mail
    company_id: int | None = None


class Directory:
    """The people notices go to, loaded once per run (three statements whatever the number of companies)."""

    def __init__(self) -> None:
        users = db.session.execute(select(User.id, User.email, User.role, User.company_id)
                                   .where(User.active.is_(True), User.role.in_((COMPANY, BOARD, TRUSTEE, STAFF))))
        self.by_role: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.by_company: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for uid, email, role, company_id in users:
            (self.by_company[company_id] if role == COMPANY else self.by_role[role]).append((uid, email))
        self.channels = {(uid, kind): channel for uid, kind, channel in db.session.execute(
            select(NotificationPreference.user_id, NotificationPreference.kind, NotificationPreference.channel))}
        self.contacts = {cid: email.strip().lower() for cid, email in db.session.execute(
            select(Company.id, Company.contact_email).where(Company.contact_email.is_not(None))) if email.strip()}

    def _user(self, uid: int, email: str, kind: ObligationKind, *, contact: bool = False,
              company_id: int | None = None) -> Recipient | None:
        channel = Channel.CORREO if contact else self.channels.get((uid, kind), Channel.CORREO)
        if channel == Channel.NINGUNO:
            return None
        return Recipient(f"user:{uid}", uid, email, channel == Channel.CORREO, company_id)

    def for_step(self, ob: Obligation, step: str) -> list[Recipient]:
        kind = ob.kind
        if step == STEP_ESCALATION:
            people = [self._user(uid, email, kind) for uid, email in self.by_role[TRUSTEE]]
        elif ob.company_id is not None and kind in LEGAL_KINDS:
            contact = self.contacts.get(ob.company_id)
            users = self.by_company.get(ob.company_id, [])
            people = [self._user(uid, email, kind, contact=kind in LEGAL_KINDS and email.lower() == contact,
                                 company_id=ob.company_id) for uid, email in users]
            if contact and not any(email.lower() == contact for _, email in users):
                people.append(Recipient(f"mail:{contact}", None, contact, True, ob.company_id))
        elif ob.user_id is not None:
            email = next((e for uid, e in self.by_role[ob.owner_role] if uid == ob.user_id), None)
            people = [self._user(ob.user_id, email, kind)] if email else []
        else:
            people = [self._user(uid, email, kind) for uid, email in self.by_role[ob.owner_role]]
        return [p for p in people if p is not None]


def schedules(today: dt.date, rules: RuleBook) -> tuple[dict[ObligationKind, tuple], int, int]:
    """(the schedule of every kind, catch-up days, escalation days) in force on ``today``."""
    return ({kind: rules.schedule(f"notify.schedule.{kind}", today) for kind in ObligationKind},
            int(rules.value("notify.catch_up_days", today)), int(rules.value("notify.escalation_days", today)))
