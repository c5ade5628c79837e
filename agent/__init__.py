"""The digital employee's brain: grounded, cited answers over the knowledge base.

Imports ``knowledge``; never ``ui``, ``voice`` or ``evals``.
"""

from agent.answering.answer import Answerer
from agent.llm import ChatLLM
from agent.question import Question
from agent.reply import AnswerEvent, Citation, Delta, Final, Intent, RecordedTurn, Reply, Speakable, final_of

__all__ = ["AnswerEvent", "Answerer", "ChatLLM", "Citation", "Delta", "Final", "Intent", "Question", "RecordedTurn",
           "Reply", "Speakable", "final_of"]
