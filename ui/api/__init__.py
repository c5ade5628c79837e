"""The HTTP API: one FastAPI router per area, each built from the shared :class:`ui.context.AppContext`."""
