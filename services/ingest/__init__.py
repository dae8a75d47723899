"""Ingest: channel adapters that turn inbound contacts into InteractionReceived events."""
