"""Figures computed, never generated: which calculation a question asks for and its answer
(``calculation``), the arguments read from the customer's words (``arguments``), and the arithmetic the
documents define, in Decimal to the fen (``arithmetic``). Arrows point down that list."""

from agent.tools.calculation import CalculationTool, ToolAnswer, calculation_kind

__all__ = ["CalculationTool", "ToolAnswer", "calculation_kind"]
