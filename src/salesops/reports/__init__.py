"""Reviews (日报 / 周报 / 月报 / 季度复盘 / 年度总结): assemble from the metrics engine, then
render (markdown, xlsx, html, pdf). See docs/reviews.md."""
