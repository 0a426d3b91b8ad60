"""``salesops users``, ``tokens``, ``walls`` and ``audit``: exit codes, output formats, and
that a password never appears in the output or the audit log."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from salesops.auth import sessions, tokens
from salesops.cli.main import app
from tests.conftest import Db
from tests.web.data import seed

PASSWORD = "amber-cedar-orbit-willow"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_users_lifecycle_from_the_command_line(db: Db) -> None:
    seed(db.engine)
    code, out, err = run(
        "users", "add", "alice", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert code == 0 and "Added alice" in err and PASSWORD not in out + err
    code, out, err = run("users", "add", "zw", "--role", "rep", "--rep", "张伟")
    assert code == 0 and "/login/link?token=" in out  # no password: a one-time link
    code, out, _ = run("users", "list", "--format", "json")
    rows = {r["login"]: r for r in json.loads(out)["rows"]}
    assert rows["zw"]["scope"] == "rep 张伟 (张伟)" and rows["alice"]["scope"] == "all data"
    assert run("users", "set-role", "zw", "manager", "--org-unit", "T-E")[0] == 0
    assert run("users", "disable", "zw")[0] == 0
    code, out, _ = run("users", "list", "--format", "csv")
    assert "zw,张伟,manager,张伟 (张伟),T-E (华东一组),org unit T-E (华东一组),False" in out
    # Wrong input: exit 1 with the reason, nothing changed.
    code, _, err = run("users", "add", "x", "--role", "boss")
    assert code == 1 and "unknown role" in err
    code, _, err = run("users", "add", "y", "--role", "viewer", "--password-stdin", stdin="short\n")
    assert code == 1 and "at least 10 characters" in err
    assert run("users", "list", "--format", "yaml")[0] == 2
    code, _, err = run("users", "reset-password", "alice", "--password-stdin", stdin="1234567890\n")
    assert code == 1 and "common passwords" in err
    _, out, _ = run("audit", "--format", "json")
    events = json.loads(out)["rows"]
    assert [e["action"] for e in events][::-1] == [
        "user.add",
        "user.add",
        "sign_in_link.create",
        "user.set_role",
        "user.disable",
    ]
    assert all(e["user"].startswith("cli:") for e in events)
    assert PASSWORD not in out


def test_tokens_from_the_command_line(db: Db) -> None:
    run("users", "add", "svc", "--role", "ops")
    code, out, err = run(
        "tokens", "create", "--user", "svc", "--read-only", "--expires-in", "30d", "--name", "etl"
    )
    secret = out.strip()
    assert code == 0 and secret.startswith("sob_") and "read-only" in err
    use = tokens.verify_token(db.engine, secret)
    assert use is not None and use.read_only and use.user.username == "svc"
    _, out, _ = run("tokens", "list", "--format", "json")
    [row] = json.loads(out)["rows"]
    assert row["state"] == "active" and secret not in out and row["prefix"] == secret[:8]
    assert run("tokens", "revoke", str(row["id"]))[0] == 0
    assert tokens.verify_token(db.engine, secret) is None
    assert run("tokens", "create", "--user", "svc", "--expires-in", "soon")[0] == 1
    assert run("tokens", "revoke", "999")[0] == 1


def test_walls_and_sign_in_links_from_the_command_line(db: Db) -> None:
    seed(db.engine)
    code, out, _ = run("walls", "create", "会议室", "--org-unit", "T-E", "--rotate", "30")
    assert code == 0 and "/wall/k/wall_" in out
    _, out, _ = run("walls", "list", "--format", "json")
    [wall] = json.loads(out)["rows"]
    assert wall["scope"] == "org_unit" and wall["state"] == "active"
    assert run("walls", "revoke", str(wall["id"]))[0] == 0
    run("users", "add", "bob", "--role", "viewer")
    code, out, _ = run("users", "link", "bob", "--url", "https://board.example")
    assert code == 0 and out.startswith("https://board.example/login/link?token=")
    token = out.strip().split("token=")[1]
    _, session = sessions.use_sign_in_link(db.engine, token)
    assert session.user.username == "bob"
    assert run("audit", "--since", "yesterday")[0] == 2
