"""Surfaces: the `digital-employee` CLI, the Gradio web app and the HTTP API. No business logic here."""

import os

# Before Gradio is imported anywhere: no analytics calls from an offline bank network.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
