"""A third-party channel: Mattermost outgoing webhooks become Switchboard interactions."""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from events import InboundEvent, InteractionReceived, Sender
from services.ingest.adapter import Accepted, InboundRequest, Reply
from switchboard.errors import BadInput, BadSignature


class MattermostAdapter:
    name = "mattermost"
    path = "/mattermost"

    def __init__(self, token: str) -> None:
        self.token = token

    def verify(self, request: InboundRequest) -> None:
        # Mattermost sends the webhook's token in the payload itself.
        sent = str(request.fields().get("token", ""))
        if not hmac.compare_digest(sent, self.token):
            raise BadSignature("wrong Mattermost token")

    def parse(self, request: InboundRequest) -> Sequence[InboundEvent]:
        fields = request.fields()
        for required in ("post_id", "user_id", "text"):
            if not fields.get(required):
                raise BadInput.field(required, "required")
        team = str(fields.get("team_domain") or "mattermost")
        return [
            InteractionReceived(
                interaction_id=InboundEvent.id_for(self.name, team, fields["post_id"]),
                channel=self.name,
                source=team,
                external_id=fields["post_id"],
                sender=Sender(
                    name=fields.get("user_name"), handle=f"mattermost:{fields['user_id']}"
                ),
                text=fields["text"],
                conversation_key=f"mattermost:{fields.get('channel_id', '')}",
            )
        ]

    def reply(self, request: InboundRequest, accepted: Sequence[Accepted]) -> Reply:
        return Reply(b'{"text": "Thanks, an agent will answer here shortly."}', status=200)


def create(config: object) -> MattermostAdapter:
    """The entry point: `switchboard.adapters` group, `mattermost = mypkg:create`."""
    import os

    return MattermostAdapter(os.environ["MATTERMOST_TOKEN"])
