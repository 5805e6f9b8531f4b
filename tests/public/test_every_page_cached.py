"""Every portal page is served from the page cache, but the OC4IDS documents, which answer conditional
requests themselves (a new portal page that forgets ``@cached_page`` fails here)."""
from __future__ import annotations

from portfolio.page_cache import cached_page

SELF_CONDITIONAL = {"public.oc4ids_package", "public.project_json"}


def test_every_portal_view_is_cached_or_answers_conditional_requests_itself(app):
    wrapped_by_cache = cached_page(lambda: None).__code__
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("public.") or rule.endpoint == "public.static":
            continue
        view = app.view_functions[rule.endpoint]
        chain, cached = view, False
        while chain is not None:
            if getattr(chain, "__code__", None) is wrapped_by_cache:
                cached = True
                break
            chain = getattr(chain, "__wrapped__", None)
        if not cached and rule.endpoint not in SELF_CONDITIONAL:
            missing.append(rule.endpoint)
    assert missing == []
