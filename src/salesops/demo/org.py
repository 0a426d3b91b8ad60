"""The organisation: sales regions, org tree (company → regions → teams), reps, products, stages.

Reps have a *quality* q that drives how many customers they own, how much those customers
buy and how often their deals advance. Team leads are strong (q = 1.3); about one rep in
twelve is a laggard (q ≈ 0.2, at most one per team), so the team board shows someone far
below the team average. A few reps leave during the history; a replacement joins their team
shortly before and takes over their customers and open deals on the day they leave.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from salesops.demo.catalog import (
    COMPANY_ZH,
    EMAIL_DOMAIN,
    GIVEN_NAMES,
    PRODUCTS,
    REGIONS,
    STAGES,
    SURNAMES,
    RegionInfo,
)
from salesops.demo.config import DemoConfig
from salesops.demo.frame import NULL, Cat, Frame, Ref
from salesops.demo.timeline import Timeline

#: "never" as a day number (reps who stay, customers who do not churn)
NEVER = 10**8
REPS_PER_TEAM = 6
_NUMERALS = "零一二三四五六七八九"


def stream(config: DemoConfig, name: str) -> np.random.Generator:
    """An independent random stream per part, so changing one part leaves the others alone."""
    return np.random.default_rng([config.seed, zlib.crc32(name.encode())])


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 40 → 四十 (team names: 华东十二组)."""
    if n < 10:
        return _NUMERALS[n]
    tens, ones = divmod(n, 10)
    if n < 100:
        return ("" if tens == 1 else _NUMERALS[tens]) + "十" + (_NUMERALS[ones] if ones else "")
    return str(n)


@dataclass
class Org:
    """Regions, teams and reps as arrays (row indices are the generated tables' rows)."""

    regions: tuple[RegionInfo, ...]
    growth: np.ndarray  # per region
    team_region: np.ndarray  # per team
    team_unit: np.ndarray  # org_unit row of each team
    rep_region: np.ndarray
    rep_team: np.ndarray
    rep_quality: np.ndarray
    rep_hired: np.ndarray  # history day (negative: before the history)
    rep_left: np.ndarray  # history day, NEVER if still employed
    rep_successor: np.ndarray  # the replacement of a rep who left, else -1
    rep_lead: np.ndarray  # bool: team lead
    rep_external_id: list[str]
    frames: list[Frame]

    @property
    def reps(self) -> int:
        return len(self.rep_region)


def _largest_remainder(total: int, weights: np.ndarray, minimum: int = 1) -> np.ndarray:
    """Integers summing to ``total`` in proportion to ``weights``, each at least ``minimum``."""
    counts = np.full(len(weights), minimum)
    rest = total - counts.sum()
    exact = rest * weights / weights.sum()
    counts += np.floor(exact).astype(int)
    remainder = total - counts.sum()
    counts[np.argsort(-(exact - np.floor(exact)), kind="stable")[:remainder]] += 1
    return counts


def build_org(config: DemoConfig, timeline: Timeline) -> Org:
    """Regions, org units, reps, products and pipeline stages."""
    rng = stream(config, "org")
    regions = REGIONS[: config.regions]
    weights = np.array([r.weight for r in regions])
    n = config.reps
    leavers = 0 if n < 4 else max(1, round(0.05 * n))
    growth_hires = round(0.08 * n)
    initial = n - leavers - growth_hires
    per_region = _largest_remainder(initial, weights)

    # Teams: about six reps each; the first rep of a team is its lead.
    team_region: list[int] = []
    rep_team: list[int] = []
    for r, count in enumerate(per_region):
        teams = max(1, round(count / REPS_PER_TEAM))
        sizes = _largest_remainder(int(count), np.ones(teams), minimum=0)
        for size in sizes:
            rep_team += [len(team_region)] * int(size)
            team_region.append(r)
    team_reg = np.array(team_region)
    teams = np.array(rep_team)
    lead = np.r_[True, teams[1:] != teams[:-1]]
    quality = np.clip(np.exp(rng.normal(0.0, 0.25, initial)), 0.6, 1.6)
    quality[lead] = 1.3
    hired = np.where(
        lead,
        -rng.integers(3 * 365, 8 * 365, initial),
        -rng.integers(120, 6 * 365, initial),
    )
    left = np.full(initial, NEVER)

    # Laggards and leavers: ordinary members (not leads), at most one laggard per team.
    members = np.flatnonzero(~lead)
    order = rng.permutation(members)
    laggard_count = max(1, round(n / 12)) if len(members) >= 2 else 0
    laggards: list[int] = []
    seen: set[int] = set()
    for i in order:  # over a few dozen reps at most per team pick, not over facts
        if len(laggards) >= laggard_count:
            break
        if teams[i] not in seen:
            laggards.append(int(i))
            seen.add(int(teams[i]))
    quality[laggards] = rng.uniform(0.15, 0.3, len(laggards))
    candidates = [int(i) for i in order if int(i) not in laggards][:leavers]
    leaving = np.array(candidates, dtype=int)
    left[leaving] = rng.integers(200, max(201, timeline.days - 60), len(leaving))
    hired[leaving] = -rng.integers(365, 5 * 365, len(leaving))

    # Replacements join the leaver's team a few weeks before; growth hires join growing regions.
    repl_team = teams[leaving]
    repl_hired = left[leaving] - rng.integers(10, 40, len(leaving))
    growing = np.array([max(r.growth - 1.0, 0.0) * r.weight for r in regions])
    if growing.sum() == 0:
        growing = weights.copy()
    hire_region = rng.choice(len(regions), growth_hires, p=growing / growing.sum())
    hire_team = np.array(
        [rng.choice(np.flatnonzero(team_reg == r)) for r in hire_region], dtype=int
    )
    hire_day = rng.integers(60, max(61, timeline.days - 90), growth_hires)

    rep_team_all = np.r_[teams, repl_team, hire_team].astype(int)
    quality_all = np.r_[quality, np.full(len(leaving), 0.8), np.full(growth_hires, 0.7)]
    hired_all = np.r_[hired, repl_hired, hire_day]
    left_all = np.r_[left, np.full(len(leaving) + growth_hires, NEVER)]
    lead_all = np.r_[lead, np.zeros(len(leaving) + growth_hires, dtype=bool)]
    successor = np.full(n, -1)
    successor[leaving] = initial + np.arange(len(leaving))
    rep_region = team_reg[rep_team_all]

    # Org units: the company, one unit per region, then the teams.
    n_regions = len(regions)
    team_unit = 1 + n_regions + np.arange(len(team_reg))
    unit_names = [COMPANY_ZH.removesuffix("股份有限公司")]
    unit_names += [f"{r.name}大区" for r in regions]
    team_no = np.zeros(len(team_reg), dtype=int)
    for r in range(n_regions):
        mine = np.flatnonzero(team_reg == r)
        team_no[mine] = np.arange(1, len(mine) + 1)
    unit_names += [
        f"{regions[r].name}{chinese_number(k)}组" for r, k in zip(team_reg, team_no, strict=True)
    ]
    unit_ext = ["ORG-HQ", *(f"ORG-R{i + 1}" for i in range(n_regions))]
    unit_ext += [f"ORG-T{i + 1:03d}" for i in range(len(team_reg))]
    parent = np.r_[-1, np.zeros(n_regions, dtype=int), 1 + team_reg]
    unit_region = np.r_[-1, np.arange(n_regions), team_reg]
    unit_kind = np.r_[0, np.ones(n_regions, dtype=int), np.full(len(team_reg), 2)]

    # Managers: members report to their team lead; a region's other leads to its first lead.
    team_lead = np.full(len(team_reg), -1)
    team_lead[rep_team_all[lead_all]] = np.flatnonzero(lead_all)
    region_head = np.array([team_lead[np.flatnonzero(team_reg == r)[0]] for r in range(n_regions)])
    manager = team_lead[rep_team_all]
    manager[lead_all] = region_head[rep_region[lead_all]]
    manager[manager == np.arange(n)] = -1

    names, emails = _people(rng, n)
    width = max(4, len(str(n)))
    rep_ext = [f"R{i + 1:0{width}d}" for i in range(n)]
    day0 = timeline.day0
    frames = [
        Frame("region", n_regions, {"name": [r.name for r in regions]}),
        Frame(
            "org_unit",
            len(unit_names),
            {
                "external_id": unit_ext,
                "name": unit_names,
                "kind": Cat(unit_kind, ("company", "region", "team")),
                "parent_id": Ref("org_unit", parent),
                "region_id": Ref("region", unit_region),
            },
        ),
        Frame(
            "rep",
            n,
            {
                "external_id": rep_ext,
                "name": names,
                "email": emails,
                "org_unit_id": Ref("org_unit", team_unit[rep_team_all]),
                "manager_id": Ref("rep", manager),
                "region_id": Ref("region", rep_region),
                "hired_on": hired_all + day0,
                "left_on": np.where(left_all == NEVER, NULL, left_all + day0),
                "active": left_all == NEVER,
            },
        ),
        _products(),
        _stages(),
    ]
    return Org(
        regions=regions,
        growth=np.array([r.growth for r in regions]),
        team_region=team_reg,
        team_unit=team_unit,
        rep_region=rep_region,
        rep_team=rep_team_all,
        rep_quality=quality_all,
        rep_hired=hired_all,
        rep_left=left_all,
        rep_successor=successor,
        rep_lead=lead_all,
        rep_external_id=rep_ext,
        frames=frames,
    )


def _people(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """Distinct Chinese names and their e-mail addresses (pinyin, numbered when taken)."""
    combos = len(SURNAMES) * len(GIVEN_NAMES)
    picks = rng.permutation(combos)[:n] if n <= combos else rng.integers(0, combos, n)
    names: list[str] = []
    emails: list[str] = []
    taken: dict[str, int] = {}
    for k, pick in enumerate(picks):  # reps only (at most a few thousand)
        surname, given = SURNAMES[pick // len(GIVEN_NAMES)], GIVEN_NAMES[pick % len(GIVEN_NAMES)]
        zh = _hanzi(surname) + _hanzi(given)
        local = f"{_latin(given)}.{_latin(surname)}"
        count = taken.get(local, 0)
        taken[local] = count + 1
        names.append(zh if k < combos else f"{zh}{k // combos + 1}")
        emails.append(f"{local}{count + 1 if count else ''}@{EMAIL_DOMAIN}")
    return names, emails


def _hanzi(word: str) -> str:
    return "".join(ch for ch in word if not ch.isascii())


def _latin(word: str) -> str:
    return "".join(ch for ch in word if ch.isascii())


def _products() -> Frame:
    return Frame(
        "product",
        len(PRODUCTS),
        {
            "external_id": [p.external_id for p in PRODUCTS],
            "name": [p.name for p in PRODUCTS],
            "product_line": [p.line for p in PRODUCTS],
            "list_price": np.array([p.list_price * 100 for p in PRODUCTS]),
            "unit_cost": np.array([p.unit_cost * 100 for p in PRODUCTS]),
        },
    )


def _stages() -> Frame:
    return Frame(
        "pipeline_stage",
        len(STAGES),
        {
            "pipeline": ["default"] * len(STAGES),
            "name": [s[0] for s in STAGES],
            "position": np.arange(1, len(STAGES) + 1),
            "probability": np.array([round(s[1] * 10_000) for s in STAGES]),
            "kind": [s[2] for s in STAGES],
        },
    )


def rep_at(org: Org, owner: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Who holds ``owner``'s accounts on ``day``: the owner, or their successor once they left."""
    left = org.rep_left[owner]
    succ = org.rep_successor[owner]
    return np.where((day >= left) & (succ >= 0), succ, owner)


def pick_reps(
    rng: np.random.Generator, org: Org, region: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """A rep per item: one of the region's reps employed on ``day``.

    Better reps get more accounts and leads (weight √quality). Drawn by rejection, all items
    of a region at once; the region's first team lead (always employed) is the fallback.
    """
    owner = np.full(len(region), -1)
    for r in range(len(org.regions)):
        reps = np.flatnonzero(org.rep_region == r)
        w = np.sqrt(org.rep_quality[reps])
        p = w / w.sum()
        todo = np.flatnonzero(region == r)
        for _ in range(40):
            if not len(todo):
                break
            pick = reps[rng.choice(len(reps), len(todo), p=p)]
            ok = (org.rep_hired[pick] <= day[todo]) & (org.rep_left[pick] > day[todo])
            owner[todo[ok]] = pick[ok]
            todo = todo[~ok]
        owner[todo] = reps[org.rep_lead[reps]][0]
    return owner
