"""Write operations for staff: a milestone's progress (physical %, valorización amount, conformity date),
through the same milestone service the project page uses."""
from __future__ import annotations

from decimal import Decimal

from portfolio.api.core import actor, bp, operation
from portfolio.api.models import Scope
from portfolio.api.reads import milestone_out
from portfolio.api.schemas_reads import MilestoneOut, ProgressIn
from portfolio.projects import execution
from portfolio.projects import queries as project_queries
from portfolio.projects.models import Milestone


@bp.post("/projects/<int:project_id>/milestones/<int:milestone_id>/progress")
@operation("projects.manage", Scope.PROGRESS, ok=MilestoneOut, body=ProgressIn, tags=("Obras por Impuestos",),
           errors=(404,))
def milestone_progress(project_id: int, milestone_id: int, body: ProgressIn):
    """Registrar el avance de un hito

    Fecha real, avance físico real (%), monto de la valorización, fecha de conformidad y estado del hito, con
    la versión leída (si otro lo cambió antes, 409). Las mismas reglas que la página del proyecto."""
    project = project_queries.get_project_or_404(project_id, actor())
    milestone = project_queries.get_child_or_404(Milestone, milestone_id, project)
    data = {"kind": milestone.kind, "description": milestone.description, "planned_date": milestone.planned_date,
            "planned_physical": milestone.planned_physical_pct, "actual_date": body.actual_date,
            "actual_physical": None if body.actual_physical_pct is None else Decimal(body.actual_physical_pct),
            "amount": None if body.amount is None else Decimal(body.amount), "conformity_date": body.conformity_date,
            "status": body.status}
    updated = execution.update_milestone(project=project, milestone=milestone, data=data,
                                         expected_version=body.version, actor=actor())
    return milestone_out(updated)
