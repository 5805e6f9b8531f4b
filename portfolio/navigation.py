"""The main menu: each entry names the permission that shows it, so every role sees only what it may use.

Each package adds its entries with ``add`` from its ``register(app)``.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request, url_for
from flask_login import current_user

from portfolio.auth.policy import allows


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    permission: str
    section: str = ""
    order: int = 100
    prefix: str | None = None  # the item is highlighted on every path under this prefix (default: its URL)


def add(app: Flask, *items: NavItem) -> None:
    app.extensions.setdefault("portfolio_nav", []).extend(items)


def visible_items(app: Flask) -> list[dict[str, str]]:
    if not current_user.is_authenticated:
        return []
    items = sorted(app.extensions.get("portfolio_nav", []), key=lambda i: i.order)
    result = []
    for item in items:
        if item.endpoint not in app.view_functions or not allows(current_user, item.permission):
            continue
        url = url_for(item.endpoint)
        result.append({"label": item.label, "url": url, "endpoint": item.endpoint, "section": item.section,
                       "active": False, "_prefix": item.prefix or url})
    # One entry is highlighted: the one whose prefix matches the current path most closely
    # («Mis certificados» under /proyectos/mis-certificados, not also «Obras por Impuestos» at /proyectos/).
    matching = [entry for entry in result if _under(request.path, entry["_prefix"])]
    if matching:
        max(matching, key=lambda entry: len(entry["_prefix"]))["active"] = True
    for entry in result:
        del entry["_prefix"]
    return result


def _under(path: str, prefix: str) -> bool:
    if path == prefix or path.rstrip("/") == prefix.rstrip("/"):
        return True
    return path.startswith(prefix if prefix.endswith("/") else prefix + "/")


def init_app(app: Flask) -> None:
    """Give every template the menu (``nav_items``) and the CSRF token."""

    @app.context_processor
    def _layout():
        from flask_wtf.csrf import generate_csrf

        return {"nav_items": visible_items(app), "csrf_token_value": generate_csrf}
