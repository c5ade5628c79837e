"""Gradio pages, one per audience; each only calls the rooms (agent, knowledge, evals) through the context."""
