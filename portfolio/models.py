"""Imports every models module so that ``Base.metadata`` knows every table (Alembic, tests, CLI)."""
from __future__ import annotations

from portfolio import audit, rules  # noqa: F401
from portfolio.api import models as api_models  # noqa: F401
from portfolio.auth import models as auth_models  # noqa: F401
from portfolio.db_types import Base
from portfolio.documents import models as documents_models  # noqa: F401
from portfolio.exports import models as exports_models  # noqa: F401
from portfolio.imports import models as imports_models  # noqa: F401
from portfolio.indicators import models as indicators_models  # noqa: F401
from portfolio.mef import models as mef_models  # noqa: F401
from portfolio.notifications import models as notifications_models  # noqa: F401
from portfolio.orgs import models as orgs_models  # noqa: F401
from portfolio.pdfs import models as pdfs_models  # noqa: F401
from portfolio.projects import models as projects_models  # noqa: F401
from portfolio.trust import models as trust_models  # noqa: F401

metadata = Base.metadata
