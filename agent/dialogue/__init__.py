"""A customer session, turn by turn: the conversation that routes each message (``conversation``), the
intent it is routed by (``intents``), the details a hand-off collects (``slots``), and the earlier question
a follow-up continues (``followup``).

Nothing is imported here: ``agent.dialogue.conversation`` is the entry point."""
