"""Targets: the target tree, decomposition, attainment and pacing, and rep flags.

* :mod:`calendar` — fiscal periods and working days;
* :mod:`org` — target scopes and the org tree they live in;
* :mod:`tree` — targets as records and trees, the add-up check;
* :mod:`service` — set, edit, delete (audited);
* :mod:`decompose` — splitting a target over time or over the organisation;
* :mod:`attainment` — actual, attainment, expected-to-date, gap, projection, pacing, status;
* :mod:`flags` — reps far below their team.
"""
