"""商机漏斗 Pipeline: funnel with stage conversion, dwell time, stuck deals, source-channel quality
and win/loss by competitor and lost reason."""

from __future__ import annotations

from salesops.web.board import Board
from salesops.web.panels import funnel_data as fd
from salesops.web.panels.base import PageSpec, Panel, PanelSpec, titled
from salesops.web.panels.common import breakdown_panel, records_of

CARDS = (
    "open_pipeline",
    "weighted_pipeline",
    "new_pipeline",
    "win_rate",
    "avg_deal_size",
    "sales_cycle_days",
    "sales_velocity",
    "pipeline_coverage",
)


def pipeline_by_rep(board: Board) -> Panel:
    return breakdown_panel(
        board,
        "pipeline_by_rep",
        board.t(titled("pipeline_by_rep", "Open pipeline by rep")),
        "open_pipeline",
        "rep",
        limit=10,
    )


PAGE = PageSpec(
    id="pipeline",
    title="Pipeline",
    cards=CARDS,
    panels=(
        PanelSpec(
            "funnel",
            fd.funnel_panel,
            fd.funnel_records,
            lazy=True,
            title="Funnel and stage conversion",
        ),
        PanelSpec(
            "stage_dwell", fd.dwell_panel, fd.funnel_records, lazy=True, title="Time in stage"
        ),
        PanelSpec(
            "pipeline_movement",
            fd.movement_panel,
            fd.movement_records,
            lazy=True,
            title="Pipeline movement",
        ),
        PanelSpec(
            "stuck_deals",
            fd.stuck_panel,
            fd.stuck_records,
            lazy=True,
            title="Stuck deals",
            kind="table",
        ),
        PanelSpec("channel_quality", fd.channel_quality, fd.channel_records),
        PanelSpec("win_loss_competitor", fd.win_loss_competitor, fd.win_loss_records),
        PanelSpec("lost_reasons", fd.lost_reasons, fd.lost_reason_records),
        PanelSpec(
            "pipeline_by_rep", pipeline_by_rep, records_of("open_pipeline", "Open pipeline by rep")
        ),
    ),
    layout=(
        ("funnel", 5, "tall"),
        ("stage_dwell", 7, "tall"),
        ("pipeline_movement", 7, ""),
        ("pipeline_by_rep", 5, ""),
        ("stuck_deals", 12, ""),
        ("channel_quality", 12, ""),
        ("win_loss_competitor", 7, ""),
        ("lost_reasons", 5, ""),
    ),
)
