"""The digital employee's brain: grounded, cited answers over the knowledge base.

Imports ``knowledge``; never ``ui``, ``voice`` or ``evals``.
"""

from agent.answer import Answerer
from agent.llm import ChatLLM
from agent.reply import Citation, Delta, Final, Intent, Reply

__all__ = ["Answerer", "ChatLLM", "Citation", "Delta", "Final", "Intent", "Reply"]
