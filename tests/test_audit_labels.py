"""The audit trail speaks the users' language: every action code the code base can write has a Spanish
label in one registry, values are formatted like the rest of the app, objects link to their page."""
import ast
import pathlib

from portfolio import audit, db
from portfolio.audit_labels import ACTION_LABELS, FIELDS, OBJECT_LABELS, show_value
from portfolio.auth.policy import SYSTEM

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "portfolio"


def written_action_codes() -> set[str]:
    """Every string literal passed as the action of ``audit.record(...)`` and every default or keyword
    ``action=`` value (``set_password(..., action="user.change_password")``) in the package."""
    codes: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name == "record" and node.args and isinstance(node.args[0], ast.Constant):
                    codes.add(node.args[0].value)
                for kw in node.keywords:
                    if kw.arg == "action" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        codes.add(kw.value.value)
            if isinstance(node, ast.FunctionDef):
                args = node.args.args + node.args.kwonlyargs
                defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + list(node.args.defaults)
                defaults += list(node.args.kw_defaults)
                for arg, default in zip(args, defaults, strict=True):
                    if arg.arg == "action" and isinstance(default, ast.Constant) and isinstance(default.value, str):
                        codes.add(default.value)
    return codes


def test_every_written_action_has_a_spanish_label():
    codes = written_action_codes()
    assert len(codes) >= 50  # the scan found the real call sites
    assert {"indicator.measure", "user.change_password", "trust.payment.reverse"} <= codes
    missing = sorted(code for code in codes if code not in ACTION_LABELS)
    assert missing == []


def test_every_audited_table_has_a_label(app):
    from portfolio.db import Base

    tables = set(Base.metadata.tables)
    audited = {"users", "companies", "public_entities", "entity_caps", "rule_values", "projects", "budget_lines",
               "project_variations", "project_milestones", "project_certificates", "company_tax_declarations",
               "indicators", "indicator_targets", "indicator_measurements", "trust_contributions", "trust_payments",
               "trust_programs", "trust_program_allocations", "trust_organizations", "trust_conflicts",
               "trust_disbursements", "trust_votes", "ledger_periods", "trust_bank_balances", "import_batches",
               "export_jobs"}
    assert audited <= tables
    assert [t for t in sorted(audited) if t not in OBJECT_LABELS] == []


def test_every_literal_before_after_key_has_a_label():
    keys: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "record":
                for kw in node.keywords:
                    if kw.arg in ("before", "after"):
                        for sub in ast.walk(kw.value):
                            if isinstance(sub, ast.Dict):
                                keys |= {k.value for k in sub.keys if isinstance(k, ast.Constant)}
    assert {"measured_on", "amount_due", "paid_on"} <= keys
    assert sorted(k for k in keys if k not in FIELDS) == []


def test_snapshot_fields_have_labels():
    from portfolio.auth.services import USER_FIELDS
    from portfolio.orgs.services import COMPANY_FIELDS, ENTITY_FIELDS
    from portfolio.projects.execution import MILESTONE_FIELDS
    from portfolio.projects.services import EDITABLE_FIELDS

    names = set(USER_FIELDS + COMPANY_FIELDS + ENTITY_FIELDS + MILESTONE_FIELDS + EDITABLE_FIELDS)
    assert [n for n in sorted(names) if n not in FIELDS] == []


def test_values_are_formatted_like_the_app():
    assert show_value("awarded_amount", "1234567.5") == "S/\u00a01,234,567.50"  # the app's formatter: no-break space
    assert show_value("total", "-300.5") == "-S/\u00a0300.50"
    assert show_value("fecha_acuerdo", "2026-03-14") == "14/03/2026"
    assert show_value("active", True) == "Sí"
    assert show_value("multidepartmental", False) == "No"
    assert show_value("locations", ["130101", "130102"]) == "130101, 130102"
    assert show_value("convenio_on", "2026-03-14") == "14/03/2026"
    assert show_value("month", "2026-02-01") == "febrero 2026"
    assert show_value("stage", "en_ejecucion") == "En ejecución"
    assert show_value("status", "en_ejecucion") == "En ejecución"
    assert show_value("role", "company") == "Representante de empresa"
    assert show_value("note", None) == "—"


def test_viewer_shows_labels_values_and_a_link(login_as, app, make_company):
    admin = login_as("admin")
    company_id = make_company()
    with app.app_context():
        from portfolio.orgs.models import Company

        company = db.session.get(Company, company_id)
        audit.record("company.update", company, actor=SYSTEM, before={"active": True, "legal_name": "Antes S.A.C."},
                     after={"active": False, "legal_name": "Después S.A.C."})
        audit.record("indicator.measure", actor=SYSTEM, object_type="indicator_measurements", object_id=7,
                     after={"indicator": "SEG-01", "year": 2026, "quarter": 1, "measured_on": "2026-03-31"})
        db.session.commit()
    body = admin.get("/auditoria").get_data(as_text=True).split("<tbody>")[1]
    assert "Medición de indicador registrada" in body and "indicator.measure" not in body
    assert "Medición de indicador N.º 7" in body and "indicator_measurements" not in body
    assert "Empresa modificada" in body
    assert f'href="/organizaciones/empresas/{company_id}"' in body
    assert "Activo:</span> Sí" in body and "Activo:</span> No" in body
    assert "True" not in body and "False" not in body and "active:" not in body
    assert "Fecha de medición:</span> 31/03/2026" in body and "2026-03-31" not in body
    assert "Razón social:</span> Después S.A.C." in body


def test_rules_page_shows_yes_no_and_units_in_words(login_as):
    body = login_as("admin").get("/admin/reglas").get_data(as_text=True).split("<tbody>")[1].split("</tbody>")[0]
    cells = [c.split(">", 1)[1].split("</td>")[0].strip() for c in body.split('<td class="text-end text-nowrap"')[1:]]
    assert "Sí" in cells  # oxi.cap_check_refuses = 1, trust.quorum_majority = 1
    assert "día 15" in cells and "90 días" in cells and "0.15 %" in cells and "2 votos" in cells
    assert "1" not in cells and "0" not in cells and not any("15 día" == c for c in cells)
