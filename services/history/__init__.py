"""History: one customer behind many identities, and their timeline across channels."""
