"""What the employee keeps: the audit log of sessions, turns, citations and hand-off tickets (``audit``), its
tables (``tables``), the database helper it opens its engine through (``database``), and the encryption at
rest of the few personal details staff must act on (``sealing``).

Nothing is imported here: ``agent.records.audit`` is the entry point."""
