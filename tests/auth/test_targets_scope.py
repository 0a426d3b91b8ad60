"""The targets page's scope selector lists only units and reps inside the caller's data scope
(it listed every rep of the company to a rep; found by the leak test)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from salesops.app import create_app
from tests.auth_helpers import bearer
from tests.conftest import Db
from tests.web.data import ASOF, seed


def _options(db: Db, login: str, **user: str) -> set[str]:
    client = TestClient(create_app(db.engine))
    client.headers.update(bearer(db.engine, login, **user))
    html = client.get(f"/targets?asof={ASOF}&lang=en").text
    return set(re.findall(r'<option value="((?:rep:|team:|region:|company)[^"]*)"', html))


@pytest.mark.parametrize(
    ("login", "user", "expected"),
    [
        ("rep-zw", {"role": "rep", "rep": "张伟"}, {"rep:张伟"}),
        (
            "mgr-east",
            {"role": "manager", "org_unit": "T-E"},
            {"team:华东一组", "rep:张伟", "rep:李娜"},
        ),
        (
            "ops",
            {"role": "ops"},
            {"company", "region:华东", "region:华南", "team:总部", "team:华东一组", "team:华南一组"}
            | {"rep:张伟", "rep:李娜", "rep:王芳"},
        ),
    ],
)
def test_scope_options_stay_inside_the_data_scope(
    db: Db, login: str, user: dict[str, str], expected: set[str]
) -> None:
    seed(db.engine)
    assert _options(db, login, **user) == expected
