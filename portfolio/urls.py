"""The address people open the app at, for links that leave the app: QR codes on issued PDFs, links in e-mails,
calendar feed URLs. ``PUBLIC_URL`` when set (e.g. ``https://cartera.region.gob.pe``); otherwise the address of the
current request, or the development server's address from the command line."""
from __future__ import annotations

DEVELOPMENT_URL = "http://127.0.0.1:5000"


def public_base_url() -> str:
    from flask import current_app, has_request_context, request

    configured = current_app.config.get("PUBLIC_URL") or ""
    if configured:
        return configured
    if has_request_context():
        return request.url_root.rstrip("/")
    return DEVELOPMENT_URL
