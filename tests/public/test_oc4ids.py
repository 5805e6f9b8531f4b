"""The OC4IDS feed passes the standard's own validator (libcoveoc4ids) against the official schema and
codelists kept in ``tests/public/oc4ids_0_9/``: the package of every public project and each project's own
document, with 0 schema errors, 0 closed-codelist errors, no project-id problem and no additional check;
against the standard plus this publisher's extension nothing is left undeclared. The package answers
conditional requests with 304."""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from portfolio import clock, db
from portfolio.auth.policy import SYSTEM
from portfolio.config import ConfigError, load_config
from portfolio.projects import stages
from portfolio.projects.models import Certificate, Milestone, Project
from portfolio.projects.vocab import CertificateStatus, Stage
from tests.public import oc4ids_validator as validator

PACKAGE = "/transparencia/datos/oc4ids.json"
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def fetch(client, url: str, *, exact: bool = True) -> dict:
    """The JSON document; amounts as ``Decimal`` (exact) or as the validator reads them (plain numbers)."""
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/json", url
    return json.loads(response.get_data(as_text=True), **({"parse_float": Decimal} if exact else {}))


def assert_clean(report: dict, *, extension: bool) -> None:
    assert report["validation_errors"] == [], report["validation_errors"]
    assert report["additional_closed_codelist_values"] == {}
    assert report["conformance_checks"] == []  # invalid-project-ids
    assert report["additional_checks"] == []   # empty values, amounts without currency, dangling party ids
    if extension:
        assert report["additional_open_codelist_values"] == {}
        assert report["additional_fields"] == {} and report["data_only"] == []


def _walk(data, path=""):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _walk(value, f"{path}/{index}")
    else:
        yield path, data


def test_package_of_every_project_validates(client, demo, app):
    doc = fetch(client, PACKAGE, exact=False)
    with app.app_context():
        count = db.session.query(Project).count()
    assert len(doc["projects"]) == count > 10
    assert_clean(validator.validate(doc), extension=True)
    assert validator.unchecked_codelist_values(doc) == []
    # Against the standard alone: still no error; what it does not know is exactly what the extension declares.
    plain = validator.validate(doc, extension=False)
    assert_clean(plain, extension=False)
    assert set(plain["additional_fields"]) == {"/projects/localStatus"}
    assert {k: set(v["values"]) for k, v in plain["additional_open_codelist_values"].items()} == {
        "projects/locations/gazetteer/scheme": {"PE-UBIGEO"},
        "projects/additionalClassifications/scheme": {"PE-OXI-SECTOR"},
        "projects/parties/classifications/scheme": {"PE-NIVEL-GOBIERNO"}}


def test_each_project_document_validates(client, demo, app):
    with app.app_context():
        ids = db.session.scalars(select(Project.id)).all()
    for project_id in ids:
        doc = fetch(client, f"/transparencia/proyectos/{project_id}.json", exact=False)
        assert len(doc["projects"]) == 1
        assert_clean(validator.validate(doc), extension=True)


def test_each_class_the_validator_reported_is_fixed(client, demo, app):
    doc = fetch(client, PACKAGE)
    prefix = app.config["OC4IDS_PREFIX"]
    dates = [(p, v) for p, v in _walk(doc) if p.rsplit("/", 1)[-1] in
             {"dueDate", "dateMet", "datePublished", "startDate", "endDate", "approvalDate", "date", "updated",
              "publishedDate"}]
    assert len(dates) > 30 and all(DATE_TIME.match(v) for _p, v in dates), dates[:3]
    assert any(v.endswith("T00:00:00-05:00") for _p, v in dates)
    assert all(v not in ("", [], {}) for _p, v in _walk(doc))
    text = json.dumps(doc, default=str)
    for gone in ("securityAndDefence", "avance-fisico", "PE-UBIGEO-INEI", "levelOfGovernment", "sharePercent",
                 "dateSigned", '"pending"'):
        assert gone not in text, gone
    by_id = {p["id"]: p for p in doc["projects"]}
    with app.app_context():
        projects = db.session.scalars(select(Project)).all()
        for project in projects:
            item = by_id[f"{prefix}-{project.id}"]
            assert item["localStatus"] == project.stage and item["sector"] == ["governance"]
            processes = item.get("contractingProcesses", [])
            if project.stage in (Stage.RECIBIDO, Stage.LIQUIDADO):
                assert processes and processes[0]["summary"]["status"] == "closed"
            if project.awarded_amount is not None:
                convenio = processes[0]["summary"]
                current = project.current_amount
                mods = convenio.get("modifications", [])
                assert (mods[-1]["newContractValue"]["amount"] if mods else convenio["contractValue"]["amount"]) == current
                finance = item["budget"].get("finance", [])
                assert sum(f["value"]["amount"] for f in finance) == current  # the funders' parts, exact
            funders = [party for party in item["parties"] if "funder" in party["roles"]]
            assert [f["identifier"]["id"] for f in funders] == [m.company.ruc for m in project.members]
            issued = db.session.scalars(select(Certificate).where(
                Certificate.project_id == project.id, Certificate.status == CertificateStatus.EMITIDO)).all()
            transactions = processes[0]["summary"].get("transactions", []) if processes else []
            assert sorted(t["value"]["amount"] for t in transactions) == sorted(c.amount for c in issued)
        overdue = db.session.scalars(select(Milestone).where(
            Milestone.actual_date.is_(None), Milestone.planned_date < clock.today())).all()
    statuses = {m["status"] for p in doc["projects"] for m in p.get("milestones", [])}
    assert statuses <= {"scheduled", "met", "partiallyMet", "notMet"}
    if overdue:
        assert "notMet" in statuses


def test_any_regression_would_be_caught(client, demo):
    """The validator set-up really validates: the defects the issue listed are reported."""
    doc = fetch(client, PACKAGE, exact=False)
    project = doc["projects"][0]
    project["period"] = {}
    project["status"] = "pending"
    project["budget"]["approvalDate"] = "2025-11-03"
    project["id"] = "ll-1"
    report = validator.validate(doc)
    messages = {json.loads(error)["validator"] for error, _paths in report["validation_errors"]}
    assert {"format", "minProperties"} <= messages
    assert "projects/status" in report["additional_closed_codelist_values"]
    assert report["conformance_checks"][0]["check_id"] == "invalid-project-ids"


def test_conditional_requests_are_answered_304(client, demo, app):
    first = client.get(PACKAGE)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.status_code == 200 and etag and modified
    doc = json.loads(first.get_data(as_text=True))
    assert doc["publishedDate"].startswith(dt.datetime.strptime(modified, "%a, %d %b %Y %H:%M:%S GMT")
                                           .replace(tzinfo=dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=-5)))
                                           .strftime("%Y-%m-%dT%H:%M"))
    again = client.get(PACKAGE, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    since = client.get(PACKAGE, headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    from portfolio.projects import services

    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.stage == Stage.PRIORIZADO).limit(1))
        services.transition(project=project, target=Stage.CANCELADO, note="Desistimiento de la entidad",
                            actor=SYSTEM)
        db.session.commit()
        project_id = project.id
    changed = client.get(PACKAGE, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    item = next(p for p in json.loads(changed.get_data(as_text=True))["projects"]
                if p["id"].endswith(f"-{project_id}"))
    assert item["localStatus"] == Stage.CANCELADO and item["status"] == "cancelled"


def test_prefix_is_a_setting_checked_at_start():
    assert load_config({"OC4IDS_PREFIX": "oc4ids-ab12cd"})["OC4IDS_PREFIX"] == "oc4ids-ab12cd"
    for bad in ("oc4ids-ll", "OC4IDS-AB12CD", "ab12cd", "oc4ids-ab12cd-x"):
        with pytest.raises(ConfigError):
            load_config({"OC4IDS_PREFIX": bad})


def test_extension_is_served_and_matches_the_stages(client):
    ext = json.loads(client.get("/transparencia/datos/extension/extension.json").get_data(as_text=True))
    assert "+locationGazetteers.csv" in ext["codelists"]
    patch = json.loads(client.get("/transparencia/datos/extension/project-schema.json").get_data(as_text=True))
    assert patch["properties"]["localStatus"]["enum"] == list(stages.STAGES)
    rows = list(csv.DictReader(client.get("/transparencia/datos/extension/localStatus.csv")
                               .get_data(as_text=True).splitlines()))
    assert {r["Code"]: r["Title"] for r in rows} == {s: stages.label(s) for s in stages.STAGES}
    assert client.get("/transparencia/datos/extension/../config.py").status_code == 404
    assert client.get("/transparencia/datos/extension/otro.json").status_code == 404
