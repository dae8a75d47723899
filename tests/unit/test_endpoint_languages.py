"""Each channel endpoint's region and language: a Russian number's callers written without
+7 still normalize, a Russian number greets in Russian, a form says its page's language."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from events import InteractionReceived
from events.interactions import InboundMessage
from schemas.config import ChannelsConfig, FormConfig, SwitchboardConfig, TwilioConfig
from schemas.languages import BusinessNumber, LanguagesConfig
from services.ingest.adapter import Accepted, InboundRequest
from services.ingest.endpoints import region_of_number, voice_greeting
from services.ingest.twilio_messaging import TwilioMessagingAdapter
from services.ingest.twilio_voice import TwilioVoiceAdapter
from services.ingest.webform import WebFormAdapter
from tests.support.twilio_signing import ACCOUNT, AUTH_TOKEN, call, message, twilio_request

BASE = "https://sb.example/channels/twilio"
MOSCOW = "+74951234567"
ISTANBUL = "+902121234567"
GREETINGS = {
    "en": "Thank you for calling.",
    "ru": "Спасибо за звонок. Оставайтесь на линии.",
    "tr": "Aradığınız için teşekkürler.",
    "pt": "Obrigado por ligar.",
}


def config(**languages: object) -> SwitchboardConfig:
    numbers = [
        BusinessNumber(number=MOSCOW, language="ru"),
        BusinessNumber(number="+4930123456", region="TR", language="pt-BR"),
        BusinessNumber(number="+4930999999", language="uk"),
    ]
    twilio = TwilioConfig(account_sid=ACCOUNT, auth_token=AUTH_TOKEN, numbers=numbers)
    return SwitchboardConfig(
        channels=ChannelsConfig(twilio=twilio),
        forms=[FormConfig(id="ru-shop", region="RU", language="ru"), FormConfig(id="plain")],
        languages=LanguagesConfig(voice_greetings=GREETINGS, **languages),  # type: ignore[arg-type]
    )


def received(events: Sequence[InboundMessage]) -> InteractionReceived:
    [event] = events
    assert isinstance(event, InteractionReceived)
    return event


def test_the_region_is_the_numbers_own_country_unless_configured() -> None:
    c = config()
    assert region_of_number(c, MOSCOW) == "RU"
    assert region_of_number(c, ISTANBUL) == "TR"
    assert region_of_number(c, "+4930123456") == "TR"  # configured
    assert region_of_number(c, None) == "US"  # ingest.default_region
    assert region_of_number(c, "not a number") == "US"


def test_a_text_to_a_russian_number_without_plus_seven_normalizes() -> None:
    adapter = TwilioMessagingAdapter(config())
    params = message(1, sender="8 916 123-45-67", To=MOSCOW, Body="Здравствуйте")
    event = received(adapter.parse(twilio_request(f"{BASE}/messaging", params)))
    assert event.sender.phone == "+79161234567"
    assert event.attributes["language"] == "ru"  # the number's: not left to detection


def test_a_call_to_a_russian_number_is_greeted_in_russian() -> None:
    adapter = TwilioVoiceAdapter(config())
    request = twilio_request(f"{BASE}/voice", call(1, From="8 916 123-45-67", To=MOSCOW))
    event = received(adapter.parse(request))
    assert (event.sender.phone, event.attributes["language"]) == ("+79161234567", "ru")
    twiml = ET.fromstring(adapter.reply(request, [Accepted(event, False)]).content)
    say = twiml.find("Say")
    assert say is not None
    assert (say.text, say.get("language")) == (GREETINGS["ru"], "ru-RU")


def test_greetings_fall_back_from_the_most_specific_language() -> None:
    c = config()
    assert voice_greeting(c, "+4930123456") == (GREETINGS["pt"], "pt-BR")  # pt-BR -> pt
    assert voice_greeting(c, "+4930999999") == (GREETINGS["en"], "en-US")  # uk -> default
    assert voice_greeting(c, ISTANBUL) == (GREETINGS["en"], "en-US")  # no language: default
    bare = config().model_copy(update={"languages": LanguagesConfig()})
    assert voice_greeting(bare, MOSCOW) == (TwilioConfig().greeting, None)  # nothing configured


def form(form_id: str, **fields: str) -> InboundRequest:
    return InboundRequest(
        url=f"https://sb.example/channels/webform/{form_id}",
        body=json.dumps(fields).encode(),
        headers={"content-type": "application/json"},
        path_params={"form_id": form_id},
    )


def test_a_forms_region_and_language() -> None:
    adapter = WebFormAdapter(config())
    event = received(adapter.parse(form("ru-shop", phone="916 123-45-67", message="Добрый день")))
    assert (event.sender.phone, event.attributes["language"]) == ("+79161234567", "ru")
    own = received(
        adapter.parse(form("ru-shop", phone="+79161234567", message="Hi", language="en"))
    )
    assert own.attributes["language"] == "en"  # the submission's own language wins
    plain = received(adapter.parse(form("plain", phone="(202) 555-0143", message="Hi")))
    assert plain.sender.phone == "+12025550143"
    assert "language" not in plain.attributes  # left to detection
