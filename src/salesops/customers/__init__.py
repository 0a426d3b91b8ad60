"""Customer 360 (issue #28): one customer's page, follow-up tasks and the rules that raise
them, reassigning customers with an ownership history, engagement and the customer base
across the team.

One service module per job, called alike by the API, the pages, the CLI and a scheduler:
:mod:`.access` (which customers and tasks a scope sees), :mod:`.tasks`, :mod:`.rules`,
:mod:`.ownership`, :mod:`.engagement`, :mod:`.profile`, :mod:`.distribution`.
"""
