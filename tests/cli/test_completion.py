"""Shell completion (Typer's) completes KPI ids, dimension ids and entity names, in bash, zsh
and fish, without loading the engine or the importer."""

from __future__ import annotations

import pytest

from tests.cli.test_startup import loaded_modules

RUN = "from salesops.cli.main import app; app(prog_name='salesops')"


def complete(shell: str, line: str) -> tuple[str, list[str]]:
    """What ``salesops`` answers to a TAB at the end of ``line`` in ``shell``."""
    if shell == "bash":
        words = line.split(" ")
        env = {
            "_SALESOPS_COMPLETE": "complete_bash",
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1),
        }
    else:
        env = {"_SALESOPS_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": line}
        if shell == "fish":
            env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    loaded, out = loaded_modules(f"os.environ.update({env!r})", RUN)
    return out, loaded


@pytest.mark.parametrize(
    ("shell", "line", "expected"),
    [
        ("bash", "salesops metric rev", ["revenue"]),
        ("bash", "salesops metric win", ["win_rate"]),
        ("bash", "salesops metric revenue --by product", ["product", "product_line"]),
        ("bash", "salesops metric revenue --where regi", ["region="]),
        ("bash", "salesops metric revenue --grain fiscal", ["fiscal_quarter", "fiscal_year"]),
        ("bash", "salesops import order", ["order_line"]),
        ("bash", "salesops export cust", ["customer"]),
        ("bash", "salesops targets set pipeline_c", ["pipeline_coverage"]),
        ("bash", "salesops targets show --metric gross", ["gross_profit", "gross_margin"]),
    ],
)
def test_bash_completes(shell: str, line: str, expected: list[str]) -> None:
    out, loaded = complete(shell, line)
    assert out.split() == expected
    assert loaded == []


def test_zsh_completes_dimensions() -> None:
    out, loaded = complete("zsh", "salesops metric revenue --by cust")
    assert '"customer_region"' in out and '"customer"' in out
    assert loaded == []


def test_zsh_shows_kpi_names_next_to_ids() -> None:
    out, _ = complete("zsh", "salesops metric clv")
    assert "clv" in out and "Customer lifetime value" in out


def test_fish_completes_entities() -> None:
    out, loaded = complete("fish", "salesops import c")
    assert out.split() == ["customer"]
    assert loaded == []


def test_install_completion_is_offered() -> None:
    _, out = loaded_modules("", "from salesops.cli.main import app; app(['--help'])")
    assert "--install-completion" in out and "--show-completion" in out
