"""The main menu: each entry names the permission that shows it, so every role sees only what it may use.

Domain blueprints add their entries with ``add`` when they are registered.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, url_for
from flask_login import current_user

from portfolio.auth.policy import allows


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    permission: str
    section: str = ""
    order: int = 100


def add(app: Flask, *items: NavItem) -> None:
    app.extensions.setdefault("portfolio_nav", []).extend(items)


def visible_items(app: Flask) -> list[dict[str, str]]:
    if not current_user.is_authenticated:
        return []
    items = sorted(app.extensions.get("portfolio_nav", []), key=lambda i: i.order)
    return [
        {"label": i.label, "url": url_for(i.endpoint), "endpoint": i.endpoint, "section": i.section}
        for i in items
        if i.endpoint in app.view_functions and allows(current_user, i.permission)
    ]
