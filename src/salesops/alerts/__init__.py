"""Alert rules, their evaluation through the metrics engine, and what fired (issue #19)."""
