"""Rate limits per token and per address: over the limit, a 429 problem with Retry-After; another token is
not affected by the first one's count; the docs, the document and the rate limits are settings."""
from __future__ import annotations

from tests.api.conftest import Api


def test_per_token_and_per_address_limits(app, api_as):
    limiter = app.extensions["portfolio_api_limiter"]
    limiter.reset()
    app.config.update(API_RATELIMIT_PER_TOKEN="3 per minute")
    first, second = api_as("auditor"), api_as("auditor")
    codes = [first.get("/projects").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = first.get("/projects")
    assert refused.mimetype == "application/problem+json" and refused.get_json()["status"] == 429
    assert int(refused.headers["Retry-After"]) >= 1 and "Espere" in refused.get_json()["detail"]
    assert second.get("/projects").status_code == 200  # another token has its own count

    limiter.reset()
    app.config.update(API_RATELIMIT_PER_TOKEN="1000 per minute", API_RATELIMIT_PER_ADDRESS="5 per minute")
    anonymous = Api(app.test_client(), None, {})
    codes = [anonymous.get("/projects").status_code for _ in range(5)] + [second.get("/projects").status_code]
    assert codes == [401] * 5 + [429]  # guessing tokens from one address is limited too
    limiter.reset()


def test_openapi_document_and_docs_are_local(client):
    doc = client.get("/api/v1/openapi.json")
    assert doc.status_code == 200 and doc.get_json()["openapi"].startswith("3.1")
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "http" not in html.replace("http-equiv", "")
    assert "<script>" not in html  # strict CSP: no inline script
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/js/api-docs.js").status_code == 200


def test_counters_go_to_redis_when_configured(app):
    """Several hosts share the counters through Redis (the service CI starts for the export queue)."""
    from portfolio import create_app

    other = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "x" * 40,
                        "API_RATELIMIT_STORAGE_URI": app.config["REDIS_URL"]})
    limiter = other.extensions["portfolio_api_limiter"]
    assert type(limiter.storage).__name__ == "RedisStorage"
    assert limiter.storage.check()  # the server answers


def test_problem_types_resolve(client, api_as):
    problem = api_as("company").get("/declarations/999999").get_json()
    described = client.get(problem["type"])
    assert described.status_code == 200 and described.get_json()["status"] == 404
    assert client.get("/api/v1/problemas/inventado").status_code == 404
