"""The adapter in docs/adapters.md passes the kit, and the doc shows it as it is."""

from __future__ import annotations

import json
import re
from pathlib import Path

from examples.mattermost_adapter import MattermostAdapter
from services.ingest.adapter import ChannelAdapter, InboundRequest
from services.ingest.conformance import AdapterConformance

ROOT = Path(__file__).resolve().parents[2]


def _request(fields: dict[str, str]) -> InboundRequest:
    return InboundRequest(
        url="http://127.0.0.1:8000/channels/mattermost",
        body=json.dumps(fields).encode(),
        headers={"content-type": "application/json"},
    )


class TestMattermostAdapter(AdapterConformance):
    def make_adapter(self) -> ChannelAdapter:
        return MattermostAdapter(token="t0ken")

    def valid_request(self, n: int) -> InboundRequest:
        return _request(
            {
                "token": "t0ken",
                "post_id": f"p{n}",
                "user_id": "u1",
                "user_name": "ana",
                "text": f"hello {n}",
                "team_domain": "acme",
                "channel_id": "c1",
            }
        )

    def unsigned(self, request: InboundRequest) -> InboundRequest | None:
        fields = json.loads(request.body)
        return _request({**fields, "token": "forged"})

    def malformed_requests(self) -> list[InboundRequest]:
        return [
            _request({"token": "t0ken", "user_id": "u1", "text": "no post id"}),
            _request({"token": "t0ken", "post_id": "p9", "user_id": "u1"}),
        ]


def test_doc_shows_the_tested_adapter_verbatim() -> None:
    doc = (ROOT / "docs" / "adapters.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    source = (ROOT / "examples" / "mattermost_adapter.py").read_text()
    assert source in blocks
    assert len(source.splitlines()) < 60
