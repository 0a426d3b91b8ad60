"""Resolve reference columns (customer, owner, product, manager, region ...) set-based.

For each reference field one small temporary table maps every distinct value of the file to
an id: by ``external_id`` first, then by name (trimmed, case-insensitive). A name shared by
several records is ambiguous and always an error. Unknown values follow
``on_unknown_reference``: ``reject`` (row errors), ``create`` (a bare record whose external id
and name are the value) or ``null`` (the reference is left empty). Regions are names only and
are created on first mention.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from salesops.ingest.convert import staging_name
from salesops.ingest.errors import ErrorList
from salesops.ingest.fields import ENTITIES, Field
from salesops.ingest.staging import STAGING, drop_temp

_MAX_REPORTED = 1000


@dataclass
class RefStats:
    """What resolving references did besides finding ids."""

    created: dict[str, int] = field(default_factory=dict)  # entity → records created
    nulled: int = 0  # cells of unknown references left empty (policy "null")


def ref_table(f: Field) -> str:
    """The temporary table resolving field ``f``."""
    return f"_imp_ref_{f.name}"


def sql_literal(value: object) -> str:
    """One of *our own* default values as SQL (never user input)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def insert_defaults(table_name: str, given: set[str]) -> dict[str, str]:
    """SQL literals for NOT NULL columns that have a Python-side default and are not given."""
    from salesops.db.schema import metadata

    out = {}
    for column in metadata.tables[table_name].columns:
        default = column.default
        if column.primary_key or column.nullable or column.name in given or default is None:
            continue
        arg = getattr(default, "arg", None)
        if arg is not None and not callable(arg):
            out[column.name] = sql_literal(arg)
    return out


def resolve(
    conn: Connection, f: Field, policy: str, errors: ErrorList, stats: RefStats, label: str
) -> None:
    """Build the resolution table of ``f`` and apply the policy to unknown values."""
    if f.kind == "region":
        _resolve_regions(conn, f, stats)
        return
    assert f.ref is not None
    _build(conn, f)
    target = ENTITIES[f.ref]
    can_create = target.name_column is not None and policy == "create"
    if can_create:
        created = _create_unknown(conn, f)
        if created:
            stats.created[f.ref] = stats.created.get(f.ref, 0) + created
            _build(conn, f)
    if policy == "null":
        stats.nulled += int(
            conn.execute(
                text(
                    f"SELECT count(*) FROM {STAGING} AS s JOIN {ref_table(f)} AS r "  # noqa: S608
                    f"ON r.val = s.{staging_name(f.name)} WHERE r.id IS NULL AND r.cnt = 0"
                )
            ).scalar_one()
        )
    _report_unresolved(conn, f, errors, label, only_ambiguous=policy == "null")


def _build(conn: Connection, f: Field) -> None:
    assert f.ref is not None
    target = ENTITIES[f.ref]
    table = target.table.name
    col = staging_name(f.name)
    by_name = ""
    name_id = "NULL"
    name_cnt = "0"
    if target.name_column:
        by_name = (
            f"LEFT JOIN (SELECT lower(trim({target.name_column})) AS k, min(id) AS id, "  # noqa: S608
            f"count(*) AS cnt FROM {table} GROUP BY lower(trim({target.name_column}))) AS n "
            "ON n.k = lower(v.val)"
        )
        name_id, name_cnt = "n.id", "COALESCE(n.cnt, 0)"
    drop_temp(conn, ref_table(f))
    conn.execute(
        text(
            f"""
            CREATE TEMPORARY TABLE {ref_table(f)} AS
            SELECT v.val AS val,
                   CASE WHEN e.id IS NOT NULL THEN e.id
                        WHEN {name_cnt} = 1 THEN {name_id} END AS id,
                   CASE WHEN e.id IS NOT NULL THEN 1 ELSE {name_cnt} END AS cnt
            FROM (SELECT DISTINCT {col} AS val FROM {STAGING} WHERE {col} IS NOT NULL) AS v
            LEFT JOIN {table} AS e ON e.external_id = v.val
            {by_name}
            """  # noqa: S608 - identifiers are ours
        )
    )


def _create_unknown(conn: Connection, f: Field) -> int:
    """Create bare records for unknown values (one per name, case-insensitively)."""
    assert f.ref is not None
    target = ENTITIES[f.ref]
    table = target.table.name
    name_col = target.name_column
    assert name_col is not None
    defaults = insert_defaults(table, {"external_id", name_col})
    cols = ", ".join(["external_id", name_col, *defaults])
    values = ", ".join(["min(val)", "min(val)", *defaults.values()])
    result = conn.execute(
        text(
            f"INSERT INTO {table} ({cols}) SELECT {values} FROM {ref_table(f)} "  # noqa: S608
            "WHERE id IS NULL AND cnt = 0 GROUP BY lower(val)"
        )
    )
    return int(result.rowcount or 0)


def _report_unresolved(
    conn: Connection, f: Field, errors: ErrorList, label: str, *, only_ambiguous: bool
) -> None:
    col = staging_name(f.name)
    where = "r.id IS NULL AND r.cnt > 1" if only_ambiguous else "r.id IS NULL"
    base = f"FROM {STAGING} AS s JOIN {ref_table(f)} AS r ON r.val = s.{col} WHERE {where}"
    total = int(conn.execute(text(f"SELECT count(*) {base}")).scalar_one())
    if not total:
        return
    rows = conn.execute(
        text(f"SELECT s._row, s.{col}, r.cnt {base} ORDER BY s._row LIMIT {_MAX_REPORTED}")
    ).all()
    entity = f.ref
    for row_no, value, cnt in rows:
        if cnt and cnt > 1:
            reason = f"{cnt} {entity} records have this name; use the external id"
        elif ENTITIES[str(entity)].name_column:
            reason = f"no {entity} with this external id or name"
        else:
            reason = f"no {entity} with this external id"
        errors.add(int(row_no), label, value, reason)
    errors.count_more(total - len(rows))


def _resolve_regions(conn: Connection, f: Field, stats: RefStats) -> None:
    col = staging_name(f.name)
    distinct = f"SELECT DISTINCT {col} AS val FROM {STAGING} WHERE {col} IS NOT NULL"  # noqa: S608
    created = conn.execute(
        text(
            f"""
            INSERT INTO region (name)
            SELECT min(v.val) FROM ({distinct}) AS v
            WHERE NOT EXISTS (SELECT 1 FROM region AS r WHERE lower(trim(r.name)) = lower(v.val))
            GROUP BY lower(v.val)
            """  # noqa: S608
        )
    ).rowcount
    if created:
        stats.created["region"] = stats.created.get("region", 0) + int(created)
    drop_temp(conn, ref_table(f))
    conn.execute(
        text(
            f"""
            CREATE TEMPORARY TABLE {ref_table(f)} AS
            SELECT v.val AS val, min(r.id) AS id
            FROM ({distinct}) AS v JOIN region AS r ON lower(trim(r.name)) = lower(v.val)
            GROUP BY v.val
            """  # noqa: S608
        )
    )
