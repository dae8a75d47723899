"""API and configuration models shared by the services."""
