"""Win probability per open deal, from a model trained on the company's own closed deals.

Training rows are *snapshots*: each deal open at a past month end, described as it stood then
(stage, age, days in stage, close-date pushes so far, amount, product line, source, its owner's
win rate up to then, activities in the 30 days before), labelled won or lost by how it closed
on or before the day the model is trained (``as_of``). Deals still open then are not labelled.
Nothing after ``as_of`` is read, so a model trained as of a past day is the model that day
could have had.

The classifier is scikit-learn's histogram gradient boosting, calibrated with isotonic
regression over 3 folds, so that "70 %" means seven in ten. With fewer than
:data:`MIN_CLOSED` labelled rows (or fewer than :data:`MIN_EACH` of either outcome) there is
no model: every deal gets its stage's probability, and :attr:`WinModel.fallback_reason` says why.

Each deal's top factors are measured, not guessed: the change in its probability when one
feature is set to the training rows' typical value ("3 close-date pushes: -12 pts").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

MIN_CLOSED = 200
MIN_EACH = 30
#: How many past month ends feed the training snapshots (and at most how many rows).
TRAIN_MONTHS = 12
MAX_ROWS = 120_000
ACTIVITY_DAYS = 30

NUMERIC = (
    "stage_position",
    "stage_probability",
    "age_days",
    "days_in_stage",
    "pushes",
    "days_to_close",
    "log_amount",
    "owner_win_rate",
    "owner_closed",
    "activities_30d",
)
CATEGORICAL = ("product_line", "source_channel")
FEATURES = (*NUMERIC, *CATEGORICAL)


def month_ends_before(day: dt.date, count: int) -> list[dt.date]:
    """The ``count`` month ends strictly before ``day``, oldest first."""
    first = day.replace(day=1)
    out = []
    for _ in range(count):
        first_prev = (first - dt.timedelta(days=1)).replace(day=1)
        out.append(first - dt.timedelta(days=1))
        first = first_prev
    return sorted(out)


@dataclass
class History:
    """What the features read, all known as of one day (see :mod:`salesops.forecast.data`)."""

    closed: pd.DataFrame
    changes: pd.DataFrame
    activities: pd.DataFrame
    stages: dict[str, tuple[int, float | None, str]]
    lines: dict[int, str]


def stage_probability(
    stage: Any, own: Any, stages: dict[str, tuple[int, float | None, str]]
) -> float:
    """The stage's default probability, else the deal's own, else 0."""
    entry = stages.get(stage) if isinstance(stage, str) else None
    if entry is not None and entry[1] is not None:
        return float(entry[1])
    try:
        value = float(own)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if value != value else value


def features(snap: pd.DataFrame, hist: History) -> pd.DataFrame:
    """Feature rows for deals open at their ``as_of`` (one row per row of ``snap``), from
    history dated before the end of each row's ``as_of``."""
    import numpy as np
    import pandas as pd

    out = pd.DataFrame(index=snap.index)
    if snap.empty:
        for name in FEATURES:
            out[name] = pd.Series(dtype=float if name in NUMERIC else object)
        return out
    as_of = pd.to_datetime(snap["as_of"])
    created = pd.to_datetime(snap["created_on"])
    out["stage_position"] = [
        float(hist.stages[s][0]) if s in hist.stages else np.nan for s in snap["stage"]
    ]
    out["stage_probability"] = [
        stage_probability(s, p, hist.stages)
        for s, p in zip(snap["stage"], snap["probability"], strict=False)
    ]
    out["age_days"] = (as_of - created).dt.days.astype(float)
    close = pd.to_datetime(snap["expected_close_on"])
    out["days_to_close"] = (close - as_of).dt.days.astype(float)
    out["log_amount"] = np.log1p(snap["amount"].astype(float).clip(lower=0).fillna(0))
    out["product_line"] = [
        hist.lines.get(int(p)) if p == p and p is not None else None for p in snap["product_id"]
    ]
    out["source_channel"] = snap["source_channel"].astype(object)
    entered = pd.Series(pd.NaT, index=snap.index, dtype="datetime64[us]")
    pushes = pd.Series(0.0, index=snap.index)
    acts = pd.Series(0.0, index=snap.index)
    win_rate = pd.Series(np.nan, index=snap.index)
    owner_closed = pd.Series(0.0, index=snap.index)
    ch = hist.changes
    changed = pd.to_datetime(ch["changed_at"])
    stage_ch = ch.assign(at=changed)[(ch["field"] == "stage").to_numpy()]
    close_ch = ch.assign(at=changed)[(ch["field"] == "expected_close_on").to_numpy()]
    if not close_ch.empty:
        old = pd.to_datetime(close_ch["old_value"], errors="coerce")
        new = pd.to_datetime(close_ch["new_value"], errors="coerce")
        close_ch = close_ch[(new > old).to_numpy()]
    acts_all = hist.activities.assign(at=pd.to_datetime(hist.activities["occurred_at"]))
    closed = hist.closed.assign(at=pd.to_datetime(hist.closed["closed_on"]))
    prior_rate = float((closed["status"] == "won").mean()) if len(closed) else 0.0
    for day, idx in snap.groupby("as_of").groups.items():
        cutoff = pd.Timestamp(str(day)) + pd.Timedelta(days=1)
        ids = snap.loc[idx, "id"]
        last = stage_ch[stage_ch["at"] < cutoff].groupby("opportunity_id")["at"].max()
        if not last.empty:
            entered.loc[idx] = pd.to_datetime(ids.map(last.to_dict())).to_numpy()
        c = close_ch[close_ch["at"] < cutoff]
        pushes.loc[idx] = ids.map(c.groupby("opportunity_id").size().to_dict()).fillna(0).to_numpy()
        a = acts_all[
            (acts_all["at"] < cutoff)
            & (acts_all["at"] >= cutoff - pd.Timedelta(days=ACTIVITY_DAYS))
        ]
        acts.loc[idx] = ids.map(a.groupby("opportunity_id").size().to_dict()).fillna(0).to_numpy()
        done = closed[closed["at"] < cutoff]
        won_by = done[done["status"] == "won"].groupby("owner_id").size().to_dict()
        n_by = done.groupby("owner_id").size().to_dict()
        owners = snap.loc[idx, "owner_id"]
        won = owners.map(won_by).fillna(0).to_numpy(dtype=float)
        n = owners.map(n_by).fillna(0).to_numpy(dtype=float)
        # Shrunk towards the company's rate: a new rep with two deals is not 0 % or 100 %.
        win_rate.loc[idx] = (won + 10 * prior_rate) / (n + 10)
        owner_closed.loc[idx] = n
    since = entered.where(entered.notna(), created)
    out["days_in_stage"] = (as_of - since).dt.days.astype(float).clip(lower=0)
    out["pushes"] = pushes
    out["owner_win_rate"] = win_rate
    out["owner_closed"] = owner_closed
    out["activities_30d"] = acts
    return out[list(FEATURES)]


@dataclass
class WinModel:
    """A trained (or fallback) win-probability model as of ``as_of``."""

    as_of: dt.date
    model: Any = None
    categories: dict[str, list[str]] = field(default_factory=dict)
    typical: dict[str, Any] = field(default_factory=dict)
    #: numeric features without a single value in training (read as 0: nothing to learn)
    empty: frozenset[str] = frozenset()
    trained_rows: int = 0
    won_rows: int = 0
    fallback_reason: str | None = None
    seconds: float = 0.0

    @property
    def method(self) -> str:
        return "stage_probability" if self.model is None else "win_model"

    def _matrix(self, feats: pd.DataFrame) -> Any:
        import numpy as np

        cols = []
        for name in FEATURES:
            if name in CATEGORICAL:
                known = self.categories.get(name, [])
                lookup = {v: i for i, v in enumerate(known)}
                cols.append(
                    np.array(
                        [
                            lookup.get(v, np.nan) if isinstance(v, str) else np.nan
                            for v in feats[name]
                        ],
                        dtype=float,
                    )
                )
            else:
                values = feats[name].to_numpy(dtype=float)
                if name in self.empty:  # never known in training (an export without it)
                    values = np.zeros(len(values))
                cols.append(values)
        return np.column_stack(cols) if cols else np.empty((0, 0))

    def predict(self, feats: pd.DataFrame) -> Any:
        """Win probabilities (numpy array) for feature rows."""
        import numpy as np

        if len(feats) == 0:
            return np.zeros(0)
        if self.model is None:
            return feats["stage_probability"].to_numpy(dtype=float)
        with _one_thread():
            return self.model.predict_proba(self._matrix(feats))[:, 1]

    def factors(self, feats: pd.DataFrame, top: int = 3) -> list[list[dict[str, Any]]]:
        """Per row, the ``top`` features that move its probability most: ``feature``,
        ``value`` and ``points`` (probability minus the probability with that feature set to
        the typical value, in percentage points)."""
        if self.model is None or len(feats) == 0:
            return [[] for _ in range(len(feats))]
        base = self.predict(feats)
        deltas: dict[str, Any] = {}
        for name in FEATURES:
            if name == "stage_probability":
                continue  # moves with stage_position; reported once, as the stage
            other = feats.copy()
            other[name] = self.typical.get(name)
            if name == "stage_position":
                other["stage_probability"] = self.typical.get("stage_probability")
            deltas[name] = (base - self.predict(other)) * 100
        out = []
        for i in range(len(feats)):
            ranked = sorted(deltas, key=lambda n: -abs(float(deltas[n][i])))[:top]
            out.append(
                [
                    {
                        "feature": n,
                        "value": _plain(feats.iloc[i][n]),
                        "points": round(float(deltas[n][i]), 1),
                    }
                    for n in ranked
                    if abs(float(deltas[n][i])) >= 0.5
                ]
            )
        return out


def _one_thread() -> Any:
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _plain(value: Any) -> Any:
    try:
        if value != value:  # NaN
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return value.item()
    return value


def training_rows(snap: pd.DataFrame, hist: History) -> tuple[pd.DataFrame, Any]:
    """Feature rows and labels (1 won, 0 lost) of the snapshot deals closed by the history's
    day; deals still open then are dropped."""
    import numpy as np

    outcome = dict(zip(hist.closed["id"], hist.closed["status"], strict=False))
    keep = snap["id"].map(outcome).notna()
    snap = snap[keep.to_numpy()]
    labels = np.array([1 if outcome[i] == "won" else 0 for i in snap["id"]], dtype=int)
    return features(snap, hist), labels


def train(as_of: dt.date, snap: pd.DataFrame, hist: History, seed: int = 0) -> WinModel:
    """Train on ``snap`` (deals open at past month ends before ``as_of``) labelled from
    ``hist`` (known as of ``as_of``); a fallback model when there are too few closed deals."""
    import time

    import numpy as np

    started = time.perf_counter()
    if len(snap) > MAX_ROWS:
        # Sorted first: the database returns rows in no fixed order, the sample must not vary.
        snap = snap.sort_values(["as_of", "id"]).sample(n=MAX_ROWS, random_state=seed)
    feats, labels = training_rows(snap, hist)
    wins = int(labels.sum())
    losses = int(len(labels) - wins)
    result = WinModel(as_of=as_of, trained_rows=len(labels), won_rows=wins)
    if len(labels) < MIN_CLOSED or min(wins, losses) < MIN_EACH:
        result.fallback_reason = (
            f"too few closed deals to train on ({len(labels)} labelled snapshots, "
            f"{wins} won, {losses} lost; at least {MIN_CLOSED} with {MIN_EACH} of each needed)"
        )
        result.seconds = time.perf_counter() - started
        return result
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier

    result.empty = frozenset(n for n in NUMERIC if not feats[n].notna().any())
    for name in CATEGORICAL:
        counts = feats[name].dropna().astype(str).value_counts()
        result.categories[name] = list(counts.index[:200])
    for name in FEATURES:
        col = feats[name]
        if name in CATEGORICAL:
            mode = col.dropna().mode()
            result.typical[name] = mode.iloc[0] if len(mode) else None
        else:
            result.typical[name] = (
                float(np.nanmedian(col.to_numpy(dtype=float))) if col.notna().any() else np.nan
            )
    mask = [name in CATEGORICAL for name in FEATURES]
    booster = HistGradientBoostingClassifier(
        max_iter=150,
        learning_rate=0.08,
        max_leaf_nodes=31,
        min_samples_leaf=40,
        categorical_features=mask,
        random_state=seed,
    )
    model = CalibratedClassifierCV(booster, method="isotonic", cv=3)
    # One thread: on a shared two-core machine OpenMP's threads fight each other (measured:
    # minutes instead of seconds under load), and the board serves requests meanwhile.
    with _one_thread():
        model.fit(result._matrix(feats), labels)
    result.model = model
    result.seconds = time.perf_counter() - started
    return result
