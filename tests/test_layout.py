"""The same anatomy everywhere: module size, views without queries or role checks, settings in config.py,
every package registered through its ``register(app)``."""
from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "portfolio"
MAX_LINES = 400


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def view_modules() -> list[Path]:
    return [p for p in modules() if p.stem == "views" or p.stem.startswith("views_") or p.parent.name == "views"]


def rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_no_module_is_longer_than_400_lines():
    long = {rel(p): n for p in modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"módulos de más de {MAX_LINES} líneas (divídalos en un paquete): {long}"


def test_view_modules_make_no_role_checks():
    """Views ask the policy (``allows(current_user, "…")``) or a query given the user, never the role."""
    offenders = [f"{rel(p)}:{i}" for p in view_modules()
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"current_user\.role\b", line)]
    assert not offenders, offenders


SESSION_CALLS = {"scalars", "scalar", "execute", "query", "get"}


def test_view_modules_hold_no_queries():
    """Reads live in the package's queries (or service getters); a view only calls them."""
    offenders = []
    for path in view_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sqlalchemy"):
                offenders.append(f"{rel(path)}:{node.lineno} importa {node.module}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                # db.session.scalars(...), db.session.execute(...): a query written in the view
                owner = node.func.value
                if (node.func.attr in SESSION_CALLS and isinstance(owner, ast.Attribute)
                        and owner.attr == "session"):
                    offenders.append(f"{rel(path)}:{node.lineno} session.{node.func.attr}()")
    assert not offenders, offenders


def test_trust_page_modules_import_only_the_shared_module():
    views = PACKAGE / "trust" / "views"
    for path in views.glob("*.py"):
        if path.name in {"__init__.py", "common.py"}:
            continue
        imported = [node.module for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                    if isinstance(node, ast.ImportFrom) and node.module
                    and node.module.startswith("portfolio.trust.views")]
        assert set(imported) <= {"portfolio.trust.views.common"}, (path.name, imported)


def test_environment_is_read_only_in_config():
    offenders = [f"{rel(p)}:{i}" for p in modules() if p.name != "config.py"
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"\bos\.environ\b|\bgetenv\(|\benviron\.get\(", line)]
    assert not offenders, offenders


def test_every_package_with_pages_exposes_register_and_create_app_calls_it(app):
    packages = sorted({p.parent.name if p.parent.name != "views" else p.parent.parent.name
                       for p in view_modules()})
    assert "trust" in packages and "main" in packages
    for name in packages:
        package = importlib.import_module(f"portfolio.{name}")
        assert callable(getattr(package, "register", None)), f"portfolio.{name} sin register(app)"
    source = (PACKAGE / "__init__.py").read_text(encoding="utf-8")
    assert "register_blueprint" not in source, "create_app registra blueprints en línea"
    for name in packages:
        assert re.search(rf"^\s+{name},", source, re.M), f"create_app no llama a {name}.register(app)"
    blueprints = {bp.import_name.split(".")[1] for bp in app.blueprints.values()
                  if bp.import_name.startswith("portfolio.")}
    assert blueprints == set(packages)
