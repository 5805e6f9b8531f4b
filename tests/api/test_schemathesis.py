"""schemathesis against the generated OpenAPI document, every operation, with a token of each role: no server
error and no answer that breaks the document's own schemas (status codes, media types, bodies, headers).

Runs in CI on SQLite and PostgreSQL (the ``app`` fixture); the example count is fixed so a run takes the
same time every time.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portfolio import clock

ROLES = ("company", "staff", "auditor", "trustee", "board", "admin")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
EXAMPLES = 12


def _seed_company(api):
    """Something for the company's reads to return: one declaration."""
    today = clock.today()
    first = today.replace(day=1)
    month = first.replace(year=first.year - 1, month=12) if first.month == 1 else first.replace(month=first.month - 1)
    response = api.post("/declarations", {"month": f"{month:%Y-%m}", "payroll": "250000.00", "headcount": 12})
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_keeps_to_the_document(app, api_as, role):
    api = api_as(role)
    if role == "company":
        _seed_company(api)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    statuses: dict[str, set[int]] = {}

    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(headers={"Authorization": f"Bearer {api.secret}"}))
        def run(case):
            response = case.call_and_validate(checks=CHECKS)  # raises, with a curl to reproduce, on a failure
            statuses.setdefault(case.operation.label, set()).add(response.status_code)

        run()
    # the token really reached the operations: not everything was refused at the door
    assert any(code < 400 for codes in statuses.values() for code in codes), statuses


def test_negative_data_is_refused_with_a_problem(app, api_as):
    """Invalid bodies and parameters get a 4xx problem, never a success or a server error."""
    api = api_as("company")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "POST":
            continue

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(schemathesis.GenerationMode.NEGATIVE,
                                          headers={"Authorization": f"Bearer {api.secret}"}))
        def run(case):
            case.call_and_validate(checks=[not_a_server_error, negative_data_rejection, content_type_conformance])

        run()
