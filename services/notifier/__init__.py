"""Notifier: tells agents and supervisors what they must act on."""
