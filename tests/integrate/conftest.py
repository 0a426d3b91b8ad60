"""Fixtures of the integration tests."""

from tests.integrate.crm_db import crm

__all__ = ["crm"]
