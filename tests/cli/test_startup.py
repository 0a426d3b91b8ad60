"""``salesops --help``, completion and ``import salesops.cli.main`` load no heavy module.

Each case runs in a fresh interpreter (this test process has imported everything already)
and lists which of the heavy modules it ended up importing. Importing them costs about two
seconds on every call of the command; the commands that need them import them when they run.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import Db

#: Modules a command may load only when it runs (the importer, the engine, the board ...).
HEAVY = (
    "pandas",
    "pyarrow",
    "numpy",
    "alembic",
    "openpyxl",
    "xlrd",
    "sqlalchemy",
    "duckdb",
    "psycopg",
    "playwright",
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
    "argon2",
    "cryptography",
    "pydantic_settings",
    "yaml",
    "salesops.db",
    "salesops.ingest",
    "salesops.metrics.engine",
    "salesops.metrics.catalog",
    "salesops.targets",
    "salesops.demo",
    "salesops.web",
    "salesops.api",
)

PROBE = """
import json, os, sys
{before}
try:
    {run}
except SystemExit:
    pass
heavy = {heavy!r}
loaded = sorted(h for h in heavy if any(m == h or m.startswith(h + ".") for m in sys.modules))
sys.stderr.write("\\nLOADED " + json.dumps(loaded) + "\\n")
"""

CASES = {
    "import": ("", "import salesops.cli.main"),
    "--help": ("", "from salesops.cli.main import app; app(['--help'], prog_name='salesops')"),
    "metric --help": (
        "",
        "from salesops.cli.main import app; app(['metric', '--help'], prog_name='salesops')",
    ),
    "targets --help": (
        "",
        "from salesops.cli.main import app; app(['targets', '--help'], prog_name='salesops')",
    ),
    "completion of a KPI id": (
        "os.environ.update(_SALESOPS_COMPLETE='complete_bash', "
        "COMP_WORDS='salesops metric rev', COMP_CWORD='2')",
        "from salesops.cli.main import app; app(prog_name='salesops')",
    ),
}


def loaded_modules(
    before: str, run: str, heavy: tuple[str, ...] = HEAVY, env: dict[str, str] | None = None
) -> tuple[list[str], str]:
    """The heavy modules a fresh interpreter loaded, and what it printed to stdout."""
    code = PROBE.format(before=before, run=run, heavy=heavy)
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "120", "HOME": "/tmp", **(env or {})},
    )
    marker = [line for line in done.stderr.splitlines() if line.startswith("LOADED ")]
    assert marker, done.stderr
    return json.loads(marker[-1][len("LOADED ") :]), done.stdout


@pytest.mark.parametrize("case", list(CASES))
def test_no_heavy_module_at_startup(case: str) -> None:
    before, run = CASES[case]
    loaded, _ = loaded_modules(before, run)
    assert loaded == [], f"`{case}` imported {loaded}; import them inside the command"


def test_probe_sees_heavy_modules() -> None:
    """The probe itself works: a command module that imports pandas is caught."""
    loaded, _ = loaded_modules("", "import salesops.cli.main; import pandas, sqlalchemy")
    assert "pandas" in loaded and "sqlalchemy" in loaded


#: What ``salesops metric`` must not load: it reads, so no ORM (the mapping of every table was
#: a third of its start, issue #23), no migrations, no data frames.
METRIC_HEAVY = (
    "sqlalchemy.orm",
    "alembic",
    "salesops.db.schema",
    "salesops.db.migrate",
    "pandas",
    "pyarrow",
    "numpy",
    "fastapi",
    "jinja2",
    "salesops.ingest",
    "salesops.web",
)


def test_metric_command_loads_no_orm(db: Db) -> None:
    """``salesops metric revenue --format json`` answers from the Core tables
    (``salesops.db.tables``): the metrics compiler and engine never import the ORM classes."""
    loaded, out = loaded_modules(
        "",
        "from salesops.cli.main import app; "
        "app(['metric', 'revenue', '--format', 'json'], prog_name='salesops')",
        heavy=METRIC_HEAVY,
        env={"SALESOPS_DATABASE_URL": db.url},
    )
    assert json.loads(out)["metric"] == "revenue", out
    assert loaded == [], f"`salesops metric` imported {loaded}"
