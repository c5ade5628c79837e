"""The virtual trainer: lessons, quizzes, exams and role-play built from the knowledge base.

Every answer key and every piece of feedback points at the clause it comes from, so a trainee (or an
auditor) can check the trainer against the documents instead of trusting it.
"""
