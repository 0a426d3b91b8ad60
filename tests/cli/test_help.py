"""Help that reads well: one line per command, commands grouped in panels."""

from __future__ import annotations

import inspect
from typing import Any

import typer
from typer.testing import CliRunner

from salesops.cli.common import PANELS
from salesops.cli.main import app

runner = CliRunner(env={"COLUMNS": "200"})


def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        found[prefix + name] = command
        if hasattr(command, "commands"):
            found.update(_commands(command, prefix + name + " "))
    return found


def _listed(command: Any) -> str:
    """What a command list shows for a command: its first paragraph (before any \\f)."""
    text = inspect.cleandoc(command.short_help or command.help or "")
    return text.partition("\f")[0].strip().split("\n\n")[0]


def test_every_command_has_a_one_line_summary() -> None:
    commands = _commands(typer.main.get_group(app))
    assert "page-timings" in commands and "targets show" in commands
    for name, command in commands.items():
        summary = _listed(command)
        assert summary, f"{name} has no help"
        assert "\n" not in summary, f"{name}: the summary spans lines: {summary!r}"
        assert len(summary) <= 100, f"{name}: the summary is {len(summary)} characters"


def test_main_help_groups_commands_in_panels_one_line_each() -> None:
    group = typer.main.get_group(app)
    for name, command in group.commands.items():
        assert getattr(command, "rich_help_panel", None) in PANELS, f"{name} has no panel"
    result = runner.invoke(app, ["--help"], prog_name="salesops")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    titles = [line.strip("╭─ ╮") for line in lines if line.startswith("╭─")]
    assert titles == ["Options", *PANELS]
    rows = [line for line in lines if line.startswith("│ ") and not line.startswith("│ --")]
    listed = [row.split()[1] for row in rows if row.split()[1:2]]
    assert listed == [n for n in group.list_commands(typer.Context(group)) if n in listed]
    # one row per command: no summary wraps onto a second row
    assert sorted(listed) == sorted(group.commands)


def test_page_timings_help_is_short() -> None:
    result = runner.invoke(app, ["page-timings", "--help"], prog_name="salesops")
    assert result.exit_code == 0
    assert "Time each board page in Chromium" in result.output
    assert "lazy panels" not in result.output  # the details stay in the docstring
