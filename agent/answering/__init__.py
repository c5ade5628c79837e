"""The answer to one question: the answerer that conducts it (``answer``), curated FAQ answers (``faq``),
citation markers resolved to passages (``citations``), every sentence checked against the evidence it
cites (``grounding``), and sentences released to a voice once checked (``speakable``).

Nothing is imported here, so a module of another room can use ``grounding`` without loading the answerer."""
