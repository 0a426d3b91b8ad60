"""Forecasts (issue #20): quarter landing, time series with intervals, win probability per
deal, forecast calls, frozen forecasts and their accuracy, and rolling-origin backtests.

Data flows one way: :mod:`.data` reads what was known as of a day (through the engine's
pipeline history), :mod:`.winmodel`, :mod:`.landing` and :mod:`.series` compute, :mod:`.backtest`
replays them over past origins, :mod:`.store` keeps frozen forecasts and calls, and
:mod:`.service` is what the API, the pages and the CLI call. Heavy libraries (pandas, numpy,
scikit-learn, statsmodels) are imported inside functions, so importing this package is cheap.
"""
