"""The second half of the authorization matrix (see test_matrix.py): ops, rep, viewer and a
read-only token, every route, inside and outside their scope. A file of its own so that the
suite's two workers walk the halves side by side."""

from __future__ import annotations

from tests.auth.test_matrix import SECOND_HALF, walk_matrix
from tests.conftest import Db


def test_matrix_other_roles(db: Db) -> None:
    walk_matrix(db, SECOND_HALF)
