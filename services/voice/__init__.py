"""Phone calls that connect: the bridge that follows routing's call events and speaks to
Twilio's REST API, the TwiML the caller hears, the webhooks of each leg, and recordings.

It runs inside the ingest service: ingest owns the Twilio channel (its webhook URLs, its
credentials, its signature checks), so the voice channel's outbound half lives beside its
inbound half and scales with ingest's replicas; a package of its own keeps it apart."""
