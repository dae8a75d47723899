"""The four Switchboard services."""
