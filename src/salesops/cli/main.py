"""Entry point of the ``salesops`` command; each area registers its commands from its module.

Importing this module must stay cheap (``tests/cli/test_startup.py``): the ``cli`` modules
import only Typer, Rich and the standard library at the top, and load the services they call
inside each command.
"""

from __future__ import annotations

import typer

from salesops.cli import (
    alerts_cmds,
    auth_cmds,
    backup_cmds,
    check_cmds,
    common,
    data_cmds,
    demo_cmds,
    forecast_cmds,
    mapping_cmds,
    metric_cmds,
    people_cmds,
    report_cmds,
    server_cmds,
    sources_cmds,
    targets_cmds,
    tasks_cmds,
    web_cmds,
)

app = typer.Typer(
    name="salesops",
    cls=common.PanelOrder,
    help="SalesOps Board (销售运营看板): sales-operations board and CRM performance dashboard.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)

data_cmds.register(app)
metric_cmds.register(app)
server_cmds.register(app)
demo_cmds.register(app)
web_cmds.register(app)
targets_cmds.register(app)
check_cmds.register(app)
auth_cmds.register(app)
backup_cmds.register(app)
mapping_cmds.register(app)
tasks_cmds.register(app)
alerts_cmds.register(app)
forecast_cmds.register(app)
people_cmds.register(app)  # issue #27
sources_cmds.register(app)  # issue #21
report_cmds.register(app)  # issue #26


if __name__ == "__main__":  # pragma: no cover
    app()
