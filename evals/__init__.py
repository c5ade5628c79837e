"""Eval suites for QA teams: run cases through the same code the app uses, score, report, gate.

Imports ``agent`` and ``knowledge``; never ``ui``.
"""
