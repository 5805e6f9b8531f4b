"""libcoveoc4ids — the Open Contracting Partnership's own OC4IDS validator — run against the schema and
codelists kept in ``tests/public/oc4ids_0_9/`` (see its README): nothing is fetched over the network.

libcoveoc4ids (through libcove) reads its schema with ``requests.get`` from standard.open-contracting.org
and its codelists from raw.githubusercontent.com. ``LocalSchema`` overrides exactly those reads: the two
schema texts and the codelists come from local files, and ``$ref``s resolve to the local directory (libcove
keeps only the file name of a reference). ``requests`` is replaced by a function that fails the test, so a
read that escaped the override could not pass silently.

With ``extension=True`` the project schema is patched with this publisher's extension
(``portfolio/public/oc4ids_extension/``, a JSON Merge Patch as in the OCDS extension mechanism) and its
codelist additions (``+name.csv``) are added, so the data is checked against the standard plus what the
publisher declares — and nothing else.
"""
from __future__ import annotations

import csv
import json
import tempfile
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from unittest import mock
from urllib.parse import urlparse

import json_merge_patch
import jsonref
import requests
from libcoveoc4ids.config import LibCoveOC4IDSConfig
from libcoveoc4ids.schema import SchemaOC4IDS

HERE = Path(__file__).resolve().parent / "oc4ids_0_9"
EXTENSION = Path(__file__).resolve().parents[2] / "portfolio" / "public" / "oc4ids_extension"


def _no_network(*args, **kwargs):
    raise AssertionError(f"the validator tried to reach the network: {args!r}")


def read_codelist(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["Code"]: row.get("Title") or "" for row in csv.DictReader(handle)}


def _closed_enums(schema: dict, out: dict[str, set[str]]) -> dict[str, set[str]]:
    """{codelist file: codes} for every closed codelist, from the schema's own ``enum``."""
    if isinstance(schema, dict):
        if schema.get("codelist") and schema.get("openCodelist") is False:
            values = schema.get("enum") or (schema.get("items") or {}).get("enum") or []
            out.setdefault(schema["codelist"], set()).update(values)
        for value in schema.values():
            _closed_enums(value, out)
    elif isinstance(schema, list):
        for value in schema:
            _closed_enums(value, out)
    return out


class LocalSchema(SchemaOC4IDS):
    def __init__(self, directory: Path, *, extension: bool) -> None:
        config = LibCoveOC4IDSConfig()
        config.config["schema_host"] = str(directory) + "/"
        super().__init__(lib_cove_oc4ids_config=config)
        self.directory = directory
        self.extension = extension

    @cached_property
    def schema_str(self) -> str:
        return (self.directory / "project-schema.json").read_text(encoding="utf-8")

    @cached_property
    def pkg_schema_str(self) -> str:
        return (self.directory / "project-package-schema.json").read_text(encoding="utf-8")

    def deref_schema(self, schema_str: str):
        """libcove's loader keeps a reference's file name but still fetches ``https://`` references; this
        one reads every reference from the local directory."""
        def loader(uri: str, **kwargs):
            return json.loads((self.directory / Path(urlparse(uri).path).name).read_text(encoding="utf-8"))

        return jsonref.loads(schema_str, loader=loader, lazy_load=False)

    def process_codelists(self) -> None:
        from libcove.lib.common import get_schema_codelist_paths

        self.core_codelist_schema_paths = get_schema_codelist_paths(self, use_extensions=False)
        self.extended_codelist_schema_paths = get_schema_codelist_paths(self, use_extensions=True)
        schema = json.loads(self.schema_str)
        codelists = {name: dict.fromkeys(codes, "") for name, codes in _closed_enums(schema, {}).items()}
        for path in sorted((self.directory / "codelists").glob("*.csv")):
            codelists[path.name.lstrip("+")] = codelists.get(path.name.lstrip("+"), {}) | read_codelist(path)
        self.core_codelists = codelists
        self.extended_codelists = codelists


def schema_directory(workdir: Path, *, extension: bool) -> Path:
    """The official files, patched with the publisher's extension when asked, in ``workdir``."""
    (workdir / "codelists").mkdir(parents=True, exist_ok=True)
    schema = json.loads((HERE / "project-schema.json").read_text(encoding="utf-8"))
    package = (HERE / "project-package-schema.json").read_text(encoding="utf-8")
    codelists = {p.name: p.read_text(encoding="utf-8") for p in (HERE / "codelists").glob("*.csv")}
    if extension:
        schema = json_merge_patch.merge(schema, json.loads((EXTENSION / "project-schema.json").read_text("utf-8")))
        for path in (EXTENSION / "codelists").glob("*.csv"):
            if path.name.startswith("+"):
                base = path.name[1:]
                rows = path.read_text(encoding="utf-8").splitlines()[1:]
                codelists[base] = codelists[base].rstrip("\n") + "\n" + "\n".join(rows) + "\n"
            else:
                codelists[path.name] = path.read_text(encoding="utf-8")
    (workdir / "project-schema.json").write_text(json.dumps(schema), encoding="utf-8")
    (workdir / "project-package-schema.json").write_text(package, encoding="utf-8")
    for name, text in codelists.items():
        (workdir / "codelists" / name).write_text(text, encoding="utf-8")
    return workdir


@contextmanager
def offline():
    """Any HTTP request the validator makes fails the test (the library's client, not our code)."""
    with mock.patch.object(requests, "get", _no_network), mock.patch.object(requests.Session, "request", _no_network):
        yield


def validate(data: dict, *, extension: bool = True) -> dict:
    """libcoveoc4ids' report on ``data`` (a project package), offline."""
    with offline(), tempfile.TemporaryDirectory() as tmp:
        directory = schema_directory(Path(tmp), extension=extension)
        schema = LocalSchema(directory, extension=extension)
        from libcoveoc4ids.common_checks import common_checks_oc4ids

        with tempfile.TemporaryDirectory() as out:
            return common_checks_oc4ids({"file_type": "json"}, out, data, schema, cache=False)


def unchecked_codelist_values(data: dict, *, extension: bool = True) -> list[str]:
    """Paths in ``data`` under a codelist field whose codelist is not loaded (libcove skips those silently;
    here they are a failure, so no value escapes the codelist check)."""
    from libcove.lib.common import _generate_data_path

    with tempfile.TemporaryDirectory() as tmp:
        schema = LocalSchema(schema_directory(Path(tmp), extension=extension), extension=extension)
        schema.process_codelists()
        missing = []
        for path, _values in _generate_data_path(data):
            key = tuple(k for k in path if isinstance(k, str))
            if key in schema.extended_codelist_schema_paths:
                codelist = schema.extended_codelist_schema_paths[key][0]
                if not schema.extended_codelists.get(codelist):
                    missing.append(f"{'/'.join(key)} ({codelist})")
        return missing
