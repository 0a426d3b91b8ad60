"""Who is asking and what they may see: users, sign-in sessions, API tokens, wall links,
roles and permissions, and the append-only audit log (SPEC §7).

Data flows one way: ``roles`` says what each role may do and which data scope a user has;
``users``, ``sessions``, ``tokens`` and ``walls`` keep their tables; ``audit`` records every
change. The API, the pages and the CLI call these services; nothing here imports from them.
"""
