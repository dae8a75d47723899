"""Routing: interactions become contacts offered to the right agent, escalating when unanswered."""
