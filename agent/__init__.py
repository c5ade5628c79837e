"""The digital employee's brain: grounded, cited answers over the knowledge base.

Imports ``knowledge``; never ``ui``, ``voice`` or ``evals``.
"""

from agent.answer import Answerer
from agent.llm import ChatLLM
from agent.reply import AnswerEvent, Citation, Delta, Final, Intent, Reply, Speakable

__all__ = ["AnswerEvent", "Answerer", "ChatLLM", "Citation", "Delta", "Final", "Intent", "Reply", "Speakable"]
