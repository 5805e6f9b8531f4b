"""Text cleaning and the optimistic-lock check are one function each, shared by the projects and orgs services."""
from __future__ import annotations

import pytest

from portfolio.errors import Conflict
from portfolio.orgs import services as org_services
from portfolio.projects import execution
from portfolio.projects import services as project_services
from portfolio.service_checks import check_version, clean_text
from tests.support import STAFF_ACTOR


def test_clean_text_strips_cuts_and_makes_blank_none():
    assert clean_text(None) is None and clean_text("   ") is None and clean_text("  ", 300) is None
    assert clean_text("  Comisaría  ") == "Comisaría" and clean_text(" abcdef ", 3) == "abc"
    assert clean_text(2026) == "2026"


def test_check_version_refuses_a_stale_edit_with_each_services_message():
    class Row:
        version = 3

    check_version(Row(), 3)
    check_version(Row(), None)
    with pytest.raises(Conflict, match="este registro"):
        check_version(Row(), 2)
    with pytest.raises(Conflict, match="este proyecto"):
        project_services.check_version(Row(), 2)
    assert org_services.check_version is check_version


def test_a_blank_description_with_a_length_limit_is_stored_as_null(oxi):
    project = oxi.project("en_ejecucion")
    line = execution.add_budget_line(project=project, category="obra", description="   ", amount="1000.00",
                                     actor=STAFF_ACTOR)
    assert line.description is None
