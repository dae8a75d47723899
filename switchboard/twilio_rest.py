"""The twilio REST client as every sender here builds it: async HTTP, and a base URL that
tests point at a local server speaking Twilio's API. Shared by ingest (replies) and the
notifier (SMS to staff)."""

from __future__ import annotations

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from schemas.config import TwilioConfig


def twilio_client(config: TwilioConfig) -> Client:
    client = Client(config.account_sid, config.auth_token, http_client=AsyncTwilioHttpClient())
    if config.api_base_url:
        client.api.base_url = config.api_base_url
    return client


async def close_twilio_client(client: Client) -> None:
    http_client = client.http_client
    if isinstance(http_client, AsyncTwilioHttpClient):
        await http_client.close()


def worth_retrying(status: int) -> bool:
    """4xx: Twilio looked at the request and said no; 5xx and 429: try again later."""
    return status >= 500 or status == 429
