"""How notifications leave: one sender per channel."""
