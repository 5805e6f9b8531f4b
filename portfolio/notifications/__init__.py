"""Deadlines that reach people: the open obligations of every role (obligations.py), reminders and escalation
on an effective-dated schedule (schedule.py; ``flask notify run``), the in-app notification centre, e-mail
through SMTP (mail.py) and a private iCalendar feed per user (calendar.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from flask import g
    from flask_login import current_user

    from portfolio.notifications import queries
    from portfolio.notifications.cli import register_commands
    from portfolio.notifications.views import bp

    app.register_blueprint(bp)
    register_commands(app)

    @app.context_processor
    def _bell():
        """The navbar's bell: the signed-in user's unread notices (a page reads the count with the user)."""
        if not current_user.is_authenticated:
            return {"unread_notices": None}
        unread = g.get("portfolio_unread_notices")
        return {"unread_notices": queries.unread_count(current_user.id) if unread is None else unread}
