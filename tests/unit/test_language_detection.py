"""The language of an interaction: detected from its text when the channel does not say it,
left unset when unsure, and never holding up a channel or routing."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from pathlib import Path

import pytest

from events import InteractionReceived, Sender
from schemas.languages import DetectionConfig, fallback_chain, pick
from services.ingest import language
from services.ingest.adapters.inbound_publisher import InboundPublisher
from services.ingest.language import DetectedLanguage, LangIdModel, LanguageTagger, decide

SAMPLES = json.loads((Path(__file__).parent.parent / "fixtures/language_samples.json").read_text())
CONFIG = DetectionConfig()


@pytest.fixture(scope="module")
def model() -> LangIdModel:
    return LangIdModel(CONFIG.candidates)


def interaction(text: str, **attributes: str) -> InteractionReceived:
    return InteractionReceived(
        interaction_id=uuid.uuid4(),
        channel="sms",
        source="+15550000000",
        external_id=uuid.uuid4().hex,
        sender=Sender(phone="+79161234567"),
        text=text,
        attributes=attributes,
    )


def test_the_labelled_messages_are_mostly_detected_and_never_wrongly(model: LangIdModel) -> None:
    kept = [
        (lang, decide(model, text, CONFIG))
        for lang, texts in SAMPLES.items()
        if not lang.startswith("_")
        for text in texts
    ]
    wrong = [(lang, f) for lang, f in kept if f is not None and f.code != lang]
    right = [f for lang, f in kept if f is not None and f.code == lang]
    assert wrong == []
    assert len(right) >= 0.9 * len(kept)


def test_other_languages_are_left_unset_not_forced_into_ours(model: LangIdModel) -> None:
    kept = {text: decide(model, text, CONFIG) for text in SAMPLES["_others"]}
    assert {t: f for t, f in kept.items() if f is not None} == {}


@pytest.mark.parametrize("text", ["ok", "да", "Evet", "+7 916 123", "👍👍", ""])
def test_short_texts_are_left_unset(model: LangIdModel, text: str) -> None:
    assert decide(model, text, CONFIG) is None


class Fixed:
    def __init__(self, answer: DetectedLanguage | None, delay: float = 0.0) -> None:
        self.answer, self.delay = answer, delay
        self.release = threading.Event()

    def detect(self, text: str) -> DetectedLanguage | None:
        if self.delay:
            self.release.wait(self.delay)
        return self.answer


class Broken:
    def detect(self, text: str) -> DetectedLanguage | None:
        raise RuntimeError("model file corrupt")


RUSSIAN = "Здравствуйте, где мой заказ?"


async def attributes(tagger: LanguageTagger, text: str) -> dict[str, str]:
    tagged = await tagger.tag(interaction(text))
    assert isinstance(tagged, InteractionReceived)
    return tagged.attributes


async def test_a_detected_language_is_kept_with_its_confidence(model: LangIdModel) -> None:
    tagger = LanguageTagger(CONFIG, model)
    tagged = await tagger.tag(interaction(RUSSIAN))
    assert isinstance(tagged, InteractionReceived)
    assert tagged.attributes["language"] == "ru"
    assert tagged.attributes["language_source"] == "detected"
    assert float(tagged.attributes["language_confidence"]) >= CONFIG.min_confidence
    tagger.close()


async def test_the_channels_language_wins() -> None:
    tagger = LanguageTagger(CONFIG, Fixed(DetectedLanguage("ru", 1.0)))
    event = interaction(RUSSIAN, language="uk")
    assert await tagger.tag(event) is event
    tagger.close()


async def test_a_slow_detection_never_holds_up_the_message() -> None:
    slow = Fixed(DetectedLanguage("ru", 1.0), delay=10)
    config = CONFIG.model_copy(update={"timeout_ms": 100})
    tagger = LanguageTagger(config, slow)
    started = time.perf_counter()
    assert "language" not in await attributes(tagger, RUSSIAN)
    assert time.perf_counter() - started < 1.0
    # The one thread is still busy: the next message is not queued behind it for long.
    started = time.perf_counter()
    assert "language" not in await attributes(tagger, RUSSIAN)
    assert time.perf_counter() - started < 1.0
    assert tagger.timed_out == 2
    slow.release.set()
    tagger.close()


async def test_a_failed_detection_leaves_no_language() -> None:
    tagger = LanguageTagger(CONFIG, Broken())
    assert "language" not in await attributes(tagger, RUSSIAN)
    assert tagger.failed == 1
    tagger.close()


async def test_before_the_model_has_loaded_messages_pass_untagged() -> None:
    tagger = LanguageTagger(CONFIG)
    started = time.perf_counter()
    assert "language" not in await attributes(tagger, RUSSIAN)
    assert time.perf_counter() - started < 0.5
    await asyncio.wait_for(tagger.load(), 30)  # the first message started the loading
    assert tagger.ready
    assert (await attributes(tagger, RUSSIAN))["language"] == "ru"
    tagger.close()


def test_an_unknown_language_in_the_config_is_named() -> None:
    with pytest.raises(ValueError, match="xx"):
        LangIdModel(["en", "xx"])


def test_customer_facing_text_falls_back_from_the_most_specific_language() -> None:
    assert fallback_chain("pt-BR", "en") == ["pt-br", "pt", "en"]
    assert fallback_chain(None, "en") == ["en"]
    texts = {"ru": "Здравствуйте", "en": "Hello", "pt": "Olá"}
    assert pick(texts, "ru-RU", "en") == ("ru", "Здравствуйте")
    assert pick(texts, "pt-BR", "en") == ("pt", "Olá")
    assert pick(texts, "tr", "en") == ("en", "Hello")
    assert pick({}, "tr", "en") is None


class FakeJetStream:
    """Takes what the publisher sends, as JetStream would, and acks it."""

    def __init__(self) -> None:
        self.published: list[bytes] = []

    async def publish(self, subject: str, body: bytes, **_: object) -> object:
        self.published.append(body)
        return type("Ack", (), {"duplicate": False})()


async def test_the_publisher_publishes_on_time_whatever_the_detector_does() -> None:
    """Through ingest's one publishing path: a hung or broken detector costs at most the
    timeout, and the interaction goes out without a language."""
    config = CONFIG.model_copy(update={"timeout_ms": 100})
    hung = Fixed(DetectedLanguage("ru", 1.0), delay=10)
    for model in (hung, Broken()):
        js = FakeJetStream()
        tagger = LanguageTagger(config, model)
        publisher = InboundPublisher(js, language=tagger)  # type: ignore[arg-type]
        started = time.perf_counter()
        assert await publisher.publish(interaction(RUSSIAN)) is False
        assert time.perf_counter() - started < 1.0
        [body] = js.published
        assert '"language"' not in body.decode()
        hung.release.set()
        tagger.close()


async def test_a_hung_model_does_not_queue_every_message_behind_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(language, "MAX_QUEUED", 2)
    hung = Fixed(DetectedLanguage("ru", 1.0), delay=10)
    tagger = LanguageTagger(CONFIG.model_copy(update={"timeout_ms": 50}), hung)
    for _ in range(2):
        assert "language" not in await attributes(tagger, RUSSIAN)
    started = time.perf_counter()
    assert "language" not in await attributes(tagger, RUSSIAN)
    assert time.perf_counter() - started < 0.04  # not queued: skipped at once
    assert (tagger.timed_out, tagger.skipped) == (2, 1)
    hung.release.set()
    await asyncio.sleep(0.2)  # the two queued detections finish and leave the queue
    assert "language" in await attributes(tagger, RUSSIAN)
    tagger.close()
