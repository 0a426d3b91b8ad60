"""Which data a report covers: ``company``, an org unit or a rep (by external id or name),
never more than the caller may see."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, or_, select

from salesops.db.schema import OrgUnit, Rep
from salesops.metrics.scope import FULL_SCOPE, Scope, subtree_units


class ScopeError(ValueError):
    """An unknown scope, or one outside the caller's own."""


def _inside(conn: Connection, caller: Scope, wanted: Scope) -> bool:
    if caller.is_full:
        return True
    if caller.kind == "rep":
        return wanted.kind == "rep" and wanted.rep_id == caller.rep_id
    assert caller.org_unit_id is not None
    units = set(conn.execute(subtree_units(caller.org_unit_id)).scalars())
    if wanted.kind == "org_unit":
        return wanted.org_unit_id in units
    if wanted.kind == "rep":
        unit = conn.execute(select(Rep.org_unit_id).where(Rep.id == wanted.rep_id)).scalar()
        return unit in units
    return False


def own_scope_name(conn: Connection, scope: Scope, lang: str) -> str:
    """The display name of ``scope`` (全公司 / Company for the full scope)."""
    if scope.kind == "org_unit":
        name = conn.execute(select(OrgUnit.name).where(OrgUnit.id == scope.org_unit_id)).scalar()
        return str(name)
    if scope.kind == "rep":
        return str(conn.execute(select(Rep.name).where(Rep.id == scope.rep_id)).scalar())
    return "全公司" if lang == "zh" else "Company"


def resolve_scope(
    engine: Engine, text: str | None, caller: Scope = FULL_SCOPE, lang: str = "en"
) -> tuple[Scope, str]:
    """The scope ``text`` names (``company``, an org unit's or rep's external id or name) and
    its display name. Empty means the caller's own scope; a scope wider than the caller's is
    refused."""
    wanted_text = (text or "").strip()
    with engine.connect() as conn:
        if not wanted_text or wanted_text.lower() in ("company", "all", "全公司"):
            wanted = caller if not wanted_text or not caller.is_full else FULL_SCOPE
            if wanted_text and not caller.is_full:
                raise ScopeError("scope company: outside your data scope")
        else:
            unit = conn.execute(
                select(OrgUnit.id).where(
                    or_(OrgUnit.external_id == wanted_text, OrgUnit.name == wanted_text)
                )
            ).first()
            if unit is not None:
                wanted = Scope.subtree(int(unit[0]))
            else:
                rep = conn.execute(
                    select(Rep.id).where(
                        or_(Rep.external_id == wanted_text, Rep.name == wanted_text)
                    )
                ).first()
                if rep is None:
                    raise ScopeError(
                        f"scope {wanted_text!r}: no org unit or rep with that id or name "
                        "(or use company)"
                    )
                wanted = Scope.single_rep(int(rep[0]))
            if not _inside(conn, caller, wanted):
                raise ScopeError(f"scope {wanted_text!r}: outside your data scope")
        return wanted, own_scope_name(conn, wanted, lang)
