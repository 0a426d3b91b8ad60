"""JSON API under /api/v1 (FastAPI routers, dependencies, schemas)."""
