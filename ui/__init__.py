"""Surfaces: the `digital-employee` CLI, the Gradio web app and the HTTP API. No business logic here."""
