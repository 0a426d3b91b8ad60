"""People and performance (issue #27): incentive plans and commission statements, scorecards,
the coaching log, target proposals and recognition (喜报 / 光荣榜).

Every number comes from the metrics engine (its queries and its records); this package adds
the arithmetic people are paid and rated by, and the few tables that hold configuration and
what a manager entered."""
