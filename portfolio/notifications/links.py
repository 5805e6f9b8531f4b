"""The page where each obligation is dealt with: its path (stored in notices) and its absolute URL (e-mails and
the calendar feed; ``portfolio.urls.public_base_url``). Built from the app's URL map, so a renamed route cannot leave stale links."""
from __future__ import annotations

from portfolio.notifications.obligations import Obligation


def path_for(ob: Obligation) -> str:
    from flask import current_app

    return current_app.url_map.bind("localhost").build(ob.endpoint, dict(ob.params))


def absolute(path: str, base_url: str) -> str:
    return base_url.rstrip("/") + path
