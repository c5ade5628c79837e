"""What the employee may and may not say: prompt-injection and prompt-leak guards (``guardrails``),
questions it must decline (``scope``), promises the documents do not make and the disclosures a product
requires (``compliance``), and personal data found and masked (``personal_data``).

Nothing is imported here, so the audit log can mask personal data without loading the rest."""
