"""Project portfolio (staff): each row creates a project or updates the one with the same CUI (or, without a
CUI, the same name at the same entity), then moves it to the stage the sheet gives.

Everything goes through the projects services — ``create_project``, ``update_project``, ``set_members`` and
``transition`` — so stage transitions, their preconditions and the CIPRL caps are theirs. The preview runs
each row through those services inside a savepoint that is rolled back, so a refusal (a cap exceeded, a
missing date) is shown on its row before anything is confirmed. Blank cells leave existing values as they are.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import deque
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from portfolio import db
from portfolio.domain_errors import DomainError
from portfolio.imports.base import CREATE, UNCHANGED, UPDATE, Action, ImportKind, Issue, Plan, duplicates
from portfolio.imports.reader import Column
from portfolio.money import format_money
from portfolio.orgs.models import Company, PublicEntity
from portfolio.projects.vocab import INITIAL_STAGE, SIDE_STAGES

DATE_COLUMNS = ("prioritized_on", "call_on", "awarded_on", "convenio_on", "start_on")
MONEY_COLUMNS = ("reference_amount", "awarded_amount")
TEXT_FIELDS = ("supervisor", "contraloria_ref")
# A service's ``DomainError.field`` → the sheet column it belongs to.
FIELD_COLUMNS = {"target": "stage", "on": "stage", "cui": "cui", "name": "name", "entity_id": "entity", "sector": "sector",
                 "locations": "locations", "reference_amount": "reference_amount", "awarded_amount": "awarded_amount",
                 **{d: d for d in DATE_COLUMNS}}


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(ch for ch in text if not unicodedata.combining(ch)).lower().split())


def _stage_choices() -> dict[str, str]:
    from portfolio.projects.stages import STAGES

    return dict(STAGES)


def _sector_choices() -> dict[str, str]:
    from portfolio.projects.models import SECTORS

    return dict(SECTORS)


class ProjectsImport(ImportKind):
    key = "proyectos"
    title = "Cartera de proyectos"
    description = "Registre o actualice proyectos de Obras por Impuestos desde una hoja de cálculo."
    sheet_name = "Proyectos"
    permission = "imports.projects"
    confirm_question = "¿Registrar y actualizar estos proyectos? Las etapas avanzarán según la hoja."
    tile_labels = {CREATE: "Se crearán", UPDATE: "Se actualizarán", UNCHANGED: "Sin cambios"}
    done_counts = {CREATE: "creados", UPDATE: "actualizados", UNCHANGED: "sin cambios"}
    columns = (
        Column("cui", "CUI", "text", required=False, aliases=("codigo unico de inversiones", "codigo unico"),
               help="Código Único de Inversiones, 7 dígitos (vacío si aún no tiene).", example="2456789", max_length=7),
        Column("name", "Nombre", "text", aliases=("nombre del proyecto", "proyecto"), max_length=300,
               help="Nombre del proyecto.", example="Adquisición de equipos policiales"),
        Column("entity", "Entidad", "text", aliases=("entidad publica", "entidad pública", "ruc de la entidad"),
               help="Nombre, sigla o RUC de la entidad pública registrada.", example="Ministerio del Interior"),
        Column("sector", "Función", "choice", required=False, aliases=("sector", "funcion o sector"),
               help="Orden público y seguridad, Justicia (sistema penitenciario), Defensa y seguridad nacional u "
                    "Otras funciones.", example="Orden público y seguridad"),
        Column("reference_amount", "Monto referencial", "money", required=False, aliases=("monto de inversion",),
               help="Soles, hasta dos decimales.", example="92,000,000.00"),
        Column("awarded_amount", "Monto adjudicado", "money", required=False,
               aliases=("monto del convenio", "monto de convenio"),
               help="Monto de la buena pro / convenio, en soles.", example=""),
        Column("stage", "Etapa", "choice", required=False, aliases=("estado",),
               help="Etapa a la que debe llegar el proyecto (vacío: priorizado o la actual).", example="Priorizado"),
        Column("prioritized_on", "Fecha de priorización", "date", required=False, aliases=("priorizacion",),
               help="dd/mm/aaaa", example="15/03/2026"),
        Column("call_on", "Fecha de convocatoria", "date", required=False, aliases=("convocatoria",),
               help="dd/mm/aaaa", example=""),
        Column("awarded_on", "Fecha de buena pro", "date", required=False, aliases=("buena pro",),
               help="dd/mm/aaaa", example=""),
        Column("convenio_on", "Fecha de convenio", "date", required=False, aliases=("convenio",),
               help="dd/mm/aaaa", example=""),
        Column("start_on", "Fecha de inicio", "date", required=False, aliases=("inicio",),
               help="dd/mm/aaaa", example=""),
        Column("companies", "Empresas", "text", required=False, aliases=("empresas financistas", "financistas"),
               help="RUC y participación de cada empresa financista, separados por punto y coma: "
                    "«20512333797 60; 20131312955 40». Una sola empresa: su RUC.", example="", max_length=500),
        Column("locations", "Ubigeo", "text", required=False, aliases=("ubigeos", "ubicacion"),
               help="Códigos INEI de distrito separados por comas, o «multidepartamental».", example="multidepartamental"),
        Column("supervisor", "Supervisora", "text", required=False, aliases=("entidad privada supervisora",),
               help="Entidad privada supervisora (opcional).", example=""),
        Column("contraloria_ref", "Informe previo", "text", required=False,
               aliases=("informe previo contraloria", "informe de contraloria"), max_length=120,
               help="Referencia del informe previo de la Contraloría (opcional).", example=""),
    )
    help_notes = (
        "Un proyecto se identifica por su CUI; sin CUI, por su nombre y entidad.",
        "Las celdas vacías no cambian lo ya registrado. Las etapas avanzan una a una con las reglas del sistema "
        "(requisitos de cada etapa y topes CIPRL).",
    )

    def label_for(self, action: Action) -> str:
        return "Se actualizará" if action.action == UPDATE else action.label

    def done_label_for(self, action: Action) -> str:
        return {CREATE: "Creado", UPDATE: "Actualizado"}.get(action.action, action.label)

    @property
    def choices(self) -> dict[str, dict[str, str]]:  # type: ignore[override]
        return {"sector": _sector_choices(), "stage": _stage_choices()}

    # -- planning -------------------------------------------------------------------------------------
    def plan(self, rows: Sequence[dict[str, Any]], user) -> Plan:
        from portfolio.projects.models import Project

        plan = Plan()
        entities = list(db.session.scalars(select(PublicEntity)))
        cuis = {r["cui"] for r in rows if r.get("cui")}
        by_cui = {p.cui: p for p in db.session.scalars(select(Project).where(Project.cui.in_(cuis)))} if cuis else {}
        rucs = {ruc for r in rows for ruc, _ in self._member_pairs(r.get("companies") or "")[0]}
        companies = {c.ruc: c for c in db.session.scalars(select(Company).where(Company.ruc.in_(rucs)))} if rucs else {}
        prepared = []
        for row in rows:
            if not row["_ok"]:
                continue
            errors, spec = self._prepare(row, entities, by_cui, companies)
            plan.errors.extend(errors)
            if not errors:
                prepared.append(spec)
        plan.errors.extend(duplicates(self, rows, ("cui",), lambda r: f"el CUI {r['cui']}"))
        plan.errors.extend(duplicates(self, [r for r in rows if not r.get("cui")], ("entity", "name"),
                                      lambda r: f"el proyecto «{r['name']}»"))
        for spec in prepared:
            plan.actions.append(self._action(spec))
        if not plan.errors:
            plan.errors.extend(self._dry_run(plan, user))
        return plan

    @staticmethod
    def _member_pairs(text: str) -> tuple[list[tuple[str, str]], str | None]:
        pairs = []
        for part in [p.strip() for p in re.split(r"[;\n]+", text) if p.strip()]:
            match = re.match(r"^(\d{11})\s*(?:[:=\-]\s*|\s+)?(\d+(?:[.,]\d{1,2})?)?\s*%?$", part)
            if not match:
                return [], f"«{part}» no tiene la forma «RUC participación» (p. ej. 20512333797 60)."
            pairs.append((match.group(1), (match.group(2) or "").replace(",", ".")))
        return pairs, None

    def _prepare(self, row, entities, by_cui, companies) -> tuple[list[Issue], dict[str, Any]]:
        from portfolio.projects.models import Project

        errors: list[Issue] = []
        if row.get("cui") and not re.fullmatch(r"\d{7}", row["cui"]):
            errors.append(self.issue(row, "cui", "El CUI tiene exactamente 7 dígitos."))
        wanted = _plain(row["entity"])
        entity = next((e for e in entities if wanted in {_plain(e.name), _plain(e.short_name or ""), e.ruc or ""}), None)
        if entity is None:
            errors.append(self.issue(row, "entity", "No hay una entidad pública registrada con ese nombre, sigla o RUC."))
        pairs, problem = self._member_pairs(row.get("companies") or "")
        members = []
        if problem:
            errors.append(self.issue(row, "companies", problem))
        elif pairs:
            if len(pairs) == 1 and not pairs[0][1]:
                pairs = [(pairs[0][0], "100")]
            for ruc, share in pairs:
                if ruc not in companies:
                    errors.append(self.issue(row, "companies", f"No hay una empresa registrada con el RUC {ruc}."))
                elif not share:
                    errors.append(self.issue(row, "companies", f"Indique la participación de {ruc}."))
                else:
                    members.append((companies[ruc].id, share))
            try:
                total = sum((Decimal(s) for _, s in members), Decimal(0))
            except InvalidOperation:
                total = Decimal(0)
            if members and len(members) == len(pairs) and total != 100:
                errors.append(self.issue(row, "companies", f"Las participaciones deben sumar 100 % (suman {total} %)."))
        project = by_cui.get(row["cui"]) if row.get("cui") else None
        if project is None and not row.get("cui") and entity is not None:
            project = db.session.scalar(select(Project).where(Project.entity_id == entity.id,
                                                              Project.name == row["name"]))
        if project is None and not row.get("sector"):
            errors.append(self.issue(row, "sector", "Indique la función del proyecto nuevo."))
        if project is None and not row.get("locations"):
            errors.append(self.issue(row, "locations", "Indique el ubigeo o «multidepartamental» del proyecto nuevo."))
        current = project.stage if project else INITIAL_STAGE
        target = row.get("stage") or current
        path = stage_path(current, target)
        if path is None:
            from portfolio.projects.stages import label

            errors.append(self.issue(row, "stage", f"Un proyecto en «{label(current)}» no puede pasar a «{label(target)}»."))
        return errors, {"row": row, "entity": entity, "members": members, "project": project, "path": path or []}

    def _data(self, spec) -> dict[str, Any]:
        """The service's ``data`` dict: the project's current values overridden by the sheet's non-blank cells."""
        from portfolio.projects.services import EDITABLE_FIELDS

        row, project = spec["row"], spec["project"]
        data: dict[str, Any] = {name: getattr(project, name) for name in EDITABLE_FIELDS} if project else {}
        if project:
            data["locations"] = " ".join(project.location_codes)
        data["name"], data["entity_id"] = row["name"], spec["entity"].id
        for key in ("cui", "sector", *TEXT_FIELDS):
            if row.get(key):
                data[key] = row[key]
        for key in MONEY_COLUMNS:
            if row.get(key):
                data[key] = Decimal(row[key])
        for key in DATE_COLUMNS:
            if row.get(key):
                data[key] = dt.date.fromisoformat(row[key])
        if row.get("locations"):
            text = row["locations"]
            data["multidepartmental"] = "multidepartamental" in _plain(text)
            data["locations"] = re.sub(r"(?i)multidepartamental", " ", text)
        return data

    def _action(self, spec) -> Action:
        from portfolio.projects.stages import label

        row, project = spec["row"], spec["project"]
        data = self._data(spec)
        steps = " → ".join(label(s) for s in spec["path"])
        payload = {"row": row, "members": spec["members"], "path": spec["path"],
                   "project_id": project.id if project else None}
        if project is None:
            detail = f"{spec['entity'].name}; referencial {format_money(data.get('reference_amount'))}"
            if steps:
                detail += f"; etapas: {steps}"
            return Action(row["_row"], CREATE, f"Proyecto nuevo «{row['name']}»", detail, payload)
        labels = {c.key: c.header for c in self.columns} | {"entity_id": "Entidad", "multidepartmental": "Ubigeo"}
        changed = [labels.get(name, name) for name, value in data.items()
                   if name != "locations" and getattr(project, name) != value]
        if data.get("locations", "").split() != list(project.location_codes) and "Ubigeo" not in changed:
            changed.append("Ubigeo")
        members_now = [(m.company_id, Decimal(m.share_hundredths) / 100) for m in project.members]
        members_new = [(cid, Decimal(s)) for cid, s in spec["members"]]
        if members_new and members_new != members_now:
            changed.append("Empresas")
        if not changed and not spec["path"]:
            return Action(row["_row"], UNCHANGED, f"Proyecto «{project.name}»", "Ya registrado con los mismos datos.",
                          payload)
        detail = ("Cambia: " + ", ".join(changed)) if changed else ""
        if steps:
            detail += ("; " if detail else "") + f"etapas: {steps}"
        payload["update"] = bool(changed)
        payload["members_changed"] = bool(members_new and members_new != members_now)
        return Action(row["_row"], UPDATE, f"Proyecto «{project.name}»", detail, payload)

    # -- execution ------------------------------------------------------------------------------------
    def _run(self, action: Action, user, *, batch_id: int) -> str:
        from portfolio.projects import services
        from portfolio.projects.models import Project

        payload = action.data
        spec = {"row": payload["row"], "project": None, "members": payload["members"]}
        if payload.get("project_id"):
            spec["project"] = db.session.get(Project, payload["project_id"])
        spec["entity"] = db.session.get(PublicEntity, self._entity_id(payload["row"]))
        data = self._data(spec)
        note = f"Importación de cartera (lote {batch_id}, fila {action.row})"
        if spec["project"] is None:
            project = services.create_project(data=data, actor=user)
            result = "creados"
        else:
            project = spec["project"]
            if payload.get("update"):
                services.update_project(project=project, data=data, expected_version=project.version, actor=user)
            result = "actualizados"
        if payload["members"] and (spec["project"] is None or payload.get("members_changed")):
            services.set_members(project=project, rows=payload["members"], expected_version=project.version, actor=user)
        for stage in payload["path"]:
            services.transition(project=project, target=stage, note=note, actor=user)
        return result

    @staticmethod
    def _entity_id(row) -> int:
        wanted = _plain(row["entity"])
        for entity in db.session.scalars(select(PublicEntity)):
            if wanted in {_plain(entity.name), _plain(entity.short_name or ""), entity.ruc or ""}:
                return entity.id
        raise DomainError("La entidad pública ya no existe.")

    def _dry_run(self, plan: Plan, user) -> list[Issue]:
        """Each change through the real services in a savepoint that is rolled back: their refusals, by row."""
        errors = []
        for action in plan.actions:
            if action.action not in (CREATE, UPDATE):
                continue
            savepoint = db.session.begin_nested()
            try:
                self._run(action, user, batch_id=0)
            except DomainError as exc:
                errors.append(self._located(action, exc))
            finally:
                savepoint.rollback()
        db.session.expire_all()
        return errors

    def _located(self, action: Action, exc: DomainError) -> Issue:
        field = exc.field or ""
        key = FIELD_COLUMNS.get(field) or ("companies" if field.startswith("rows-") else None)
        if key is None:
            return Issue(action.row, "", "", exc.message)
        raw = action.data["row"].get(key)
        if key == "stage" and raw:
            raw = _stage_choices().get(raw, raw)
        return self.issue(action.data["row"], key, exc.message, raw if key == "stage" else None)

    def apply(self, plan: Plan, user, *, batch_id: int) -> dict[str, int]:
        from portfolio.imports.services import row_error

        counts = {"creados": 0, "actualizados": 0}
        for action in plan.actions:
            if action.action not in (CREATE, UPDATE):
                continue
            try:
                counts[self._run(action, user, batch_id=batch_id)] += 1
            except DomainError as exc:
                raise row_error(action.row, exc) from exc
        return counts


def stage_path(current: str, target: str) -> list[str] | None:
    """The shortest sequence of allowed transitions from ``current`` to ``target`` ([] if equal; None if none)."""
    from portfolio.projects.stages import TRANSITIONS

    if current == target:
        return []
    queue, previous = deque([current]), {current: None}
    while queue:
        stage = queue.popleft()
        for nxt in TRANSITIONS.get(stage, ()):
            if nxt in previous or nxt in SIDE_STAGES and nxt != target:
                continue
            previous[nxt] = stage
            if nxt == target:
                path = [nxt]
                while previous[path[-1]] != current:
                    path.append(previous[path[-1]])
                return path[::-1]
            queue.append(nxt)
    return None
