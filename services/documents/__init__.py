"""Standard answers and documents: templates filled from the customer card, the contact and
the agent (see docs/documents.md)."""
