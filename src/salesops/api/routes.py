"""The /api/v1 router: each area adds its own router here."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, select

from salesops import __version__
from salesops.api.alerts import router as alerts_router
from salesops.api.analysis import router as analysis_router
from salesops.api.backups import router as backups_router
from salesops.api.customers import router as customers_router
from salesops.api.deps import EngineDep, ReadEngineDep, Require
from salesops.api.errors import AUTH
from salesops.api.feedback import router as feedback_router
from salesops.api.forecast import router as forecast_router
from salesops.api.imports import router as imports_router
from salesops.api.integration import router as integration_router
from salesops.api.metrics import router as metrics_router
from salesops.api.panels import router as panels_router
from salesops.api.people import router as people_router
from salesops.api.report_archive import router as report_archive_router
from salesops.api.reports import router as reports_router
from salesops.api.targets import router as targets_router
from salesops.auth.roles import Permission as P
from salesops.db.derived import data_version
from salesops.db.schema import ENTITY_TABLES, Base, OrderHeader

router = APIRouter()


class Health(BaseModel):
    status: str
    version: str
    database: str
    data_version: int


class EntityCounts(BaseModel):
    counts: dict[str, int]
    data_version: int


@router.get("/health", dependencies=[Require(P.PUBLIC)], tags=["system"])
def health(engine: EngineDep) -> Health:
    """Liveness and the database the server reads."""
    with engine.connect() as conn:
        version = data_version(conn)
    return Health(
        status="ok", version=__version__, database=engine.dialect.name, data_version=version
    )


def entity_counts(engine: ReadEngineDep) -> EntityCounts:
    """Row counts of every entity (and derived orders)."""
    tables: dict[str, type[Base]] = {**ENTITY_TABLES, "order": OrderHeader}
    with engine.connect() as conn:
        counts = {
            name: int(conn.execute(select(func.count()).select_from(model)).scalar_one())
            for name, model in tables.items()
        }
        version = data_version(conn)
    return EntityCounts(counts=counts, data_version=version)


router.get(
    "/counts",
    tags=["system"],
    summary="Row counts per entity",
    dependencies=[Require(P.IMPORT_DATA)],
    responses=AUTH,
)(entity_counts)
# Every route of these needs a signed-in caller with a permission: 401 and 403 are documented.
router.include_router(panels_router, responses=AUTH)
router.include_router(analysis_router, responses=AUTH)
router.include_router(targets_router, responses=AUTH)
router.include_router(metrics_router, responses=AUTH)
router.include_router(customers_router, responses=AUTH)
router.include_router(forecast_router, responses=AUTH)
router.include_router(people_router, responses=AUTH)  # issue #27
router.include_router(feedback_router, responses=AUTH)
# issue #26: the archive and schedules first, or /reports/{kind} would read them as kinds
router.include_router(report_archive_router, responses=AUTH)
router.include_router(reports_router, responses=AUTH)  # issue #26
router.include_router(backups_router)
router.include_router(imports_router)
router.include_router(integration_router)  # issue #21
router.include_router(alerts_router, responses=AUTH)
