"""The portal's map of La Libertad, drawn offline as SVG: a schematic map of the region's 12 provinces.

No boundary data with a clear licence could be had from a package or a public repository (the known GeoJSON
of Peru's provinces and districts carries no licence), so each province is a tile placed in its approximate
position — the coast (Chepén … Virú) to the west, the Andean provinces (Bolívar, Pataz) to the east — with
the number of projects located there. The map never stands alone: the page shows the same figures as a table,
by province and by district; multidepartmental projects are counted apart.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from portfolio import db
from portfolio.money import money_sum
from portfolio.orgs import ubigeo

REGION = "13"
# province code → (column, row) of the schematic grid (north at the top, the coast on the left)
LAYOUT: dict[str, tuple[int, int]] = {
    "1304": (0, 0), "1303": (3, 0),
    "1307": (0, 1), "1311": (1, 1), "1308": (3, 1),
    "1302": (0, 2), "1306": (1, 2), "1309": (2, 2),
    "1301": (0, 3), "1305": (1, 3), "1310": (2, 3),
    "1312": (0, 4),
}
TILE_W, TILE_H, GAP = 150, 70, 8


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    projects: int
    amount: Decimal

    @property
    def level(self) -> int:
        """Colour class 0–3 (none, 1, 2–3, 4 or more projects)."""
        return 0 if not self.projects else 1 if self.projects == 1 else 2 if self.projects <= 3 else 3


@dataclass(frozen=True)
class Tile:
    place: Place
    x: int
    y: int
    w: int = TILE_W
    h: int = TILE_H


def _counts(length: int) -> dict[str, tuple[int, Decimal]]:
    from portfolio.projects.models import Project, ProjectLocation
    from portfolio.projects.queries import current_amount_expr
    from portfolio.projects.vocab import Stage

    code = func.substr(ProjectLocation.ubigeo, 1, length)
    per_project = (select(Project.id.label("pid"), code.label("code"), current_amount_expr().label("amount"))
                   .join(ProjectLocation, ProjectLocation.project_id == Project.id)
                   .where(Project.multidepartmental.is_(False), Project.stage != Stage.CANCELADO)
                   .group_by(Project.id, code).subquery())
    rows = db.session.execute(select(per_project.c.code, func.count(per_project.c.pid), money_sum(per_project.c.amount))
                              .group_by(per_project.c.code))
    return {c: (n, amount) for c, n, amount in rows}


def provinces() -> list[Place]:
    """Every province of La Libertad (with or without projects), in code order."""
    counts = _counts(4)
    return [Place(code, name, *counts.get(code, (0, Decimal("0.00"))))
            for code, name in ubigeo.provinces(REGION)]


def districts() -> list[tuple[Place, Place]]:
    """(province, district) for each district with projects, in code order (all departments)."""
    counts = _counts(6)
    result = []
    for code in sorted(counts):
        province = Place(code[:4], ubigeo.province_name(code[:4] + "01") or code[:4], 0, Decimal("0.00"))
        result.append((province, Place(code, ubigeo.district_name(code) or code, *counts[code])))
    return result


def outside_region() -> list[Place]:
    """Provinces of other departments with projects (shown in the table, not on the region's map)."""
    return [Place(code, f"{ubigeo.province_name(code + '01') or code} ({ubigeo.department_name(code) or ''})", n, a)
            for code, (n, a) in sorted(_counts(4).items()) if not code.startswith(REGION)]


def tiles(places: list[Place]) -> list[Tile]:
    return [Tile(p, GAP + LAYOUT[p.code][0] * (TILE_W + GAP), GAP + LAYOUT[p.code][1] * (TILE_H + GAP))
            for p in places if p.code in LAYOUT]


def size() -> tuple[int, int]:
    cols = max(c for c, _ in LAYOUT.values()) + 1
    rows = max(r for _, r in LAYOUT.values()) + 1
    return GAP + cols * (TILE_W + GAP), GAP + rows * (TILE_H + GAP)


def multidepartmental() -> tuple[int, Decimal]:
    from portfolio.projects.models import Project
    from portfolio.projects.queries import current_amount_expr
    from portfolio.projects.vocab import Stage

    count, amount = db.session.execute(select(func.count(Project.id), money_sum(current_amount_expr()))
                                       .where(Project.multidepartmental.is_(True),
                                              Project.stage != Stage.CANCELADO)).one()
    return count, amount
