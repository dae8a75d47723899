"""Runtime shared by the services: settings, event store, JetStream, relay, CLI."""
