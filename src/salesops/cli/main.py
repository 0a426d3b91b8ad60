"""Entry point of the ``salesops`` command; each area registers its commands from its module."""

from __future__ import annotations

import typer

from salesops.cli import (
    backup_cmds,
    data_cmds,
    demo_cmds,
    metric_cmds,
    server_cmds,
    targets_cmds,
    web_cmds,
)

app = typer.Typer(
    name="salesops",
    help="SalesOps Board (销售运营看板): sales-operations board and CRM performance dashboard.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

server_cmds.register(app)
data_cmds.register(app)
demo_cmds.register(app)
metric_cmds.register(app)
targets_cmds.register(app)
web_cmds.register(app)
backup_cmds.register(app)


if __name__ == "__main__":  # pragma: no cover
    app()
