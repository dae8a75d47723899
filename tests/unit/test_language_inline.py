"""Language detection without the thread's round trip: a text too short to detect never
reaches a model; a model that says `inline` runs on the event loop, answering as before."""

from __future__ import annotations

import threading

from events import InteractionReceived, Sender
from schemas.languages import DetectionConfig
from services.ingest.language import DetectedLanguage, LangIdModel, LanguageTagger

CONFIG = DetectionConfig()


def interaction(text: str) -> InteractionReceived:
    return InteractionReceived(
        interaction_id=InteractionReceived.id_for("webform", "f", text),
        channel="webform",
        source="f",
        external_id=text,
        sender=Sender(email="a@example.com"),
        text=text,
    )


class Recording:
    """Answers Russian and remembers on which thread it was asked."""

    def __init__(self, inline: bool) -> None:
        self.inline = inline
        self.threads: list[str] = []

    def detect(self, text: str) -> DetectedLanguage | None:
        self.threads.append(threading.current_thread().name)
        return DetectedLanguage("ru", 1.0)


class Broken:
    inline = True

    def detect(self, text: str) -> DetectedLanguage | None:
        raise RuntimeError("model file corrupt")


async def test_a_text_too_short_to_detect_never_reaches_the_model() -> None:
    model = Recording(inline=False)
    tagger = LanguageTagger(CONFIG, model)
    for text in ("burst 1000000000001", "ok", "+7 916 123"):
        event = interaction(text)
        assert await tagger.tag(event) is event
    assert model.threads == []
    assert tagger.unsure == 3
    tagger.close()


async def test_an_inline_model_runs_on_the_loop_and_tags_as_before() -> None:
    model = Recording(inline=True)
    tagger = LanguageTagger(CONFIG, model)
    tagged = await tagger.tag(interaction("Здравствуйте, где мой заказ?"))
    assert isinstance(tagged, InteractionReceived)
    assert tagged.attributes["language"] == "ru"
    assert tagged.attributes["language_source"] == "detected"
    assert tagged.attributes["language_confidence"] == "1.00"
    assert model.threads == [threading.current_thread().name]
    assert tagger.detected == 1
    tagger.close()


async def test_other_models_still_run_on_the_taggers_thread() -> None:
    model = Recording(inline=False)
    tagger = LanguageTagger(CONFIG, model)
    tagged = await tagger.tag(interaction("Здравствуйте, где мой заказ?"))
    assert isinstance(tagged, InteractionReceived)
    assert tagged.attributes["language"] == "ru"
    assert model.threads and model.threads[0].startswith("language")
    tagger.close()


async def test_an_inline_model_that_fails_leaves_no_language() -> None:
    tagger = LanguageTagger(CONFIG, Broken())
    tagged = await tagger.tag(interaction("Здравствуйте, где мой заказ?"))
    assert isinstance(tagged, InteractionReceived)
    assert "language" not in tagged.attributes
    assert (tagger.failed, tagger.unsure) == (1, 0)
    tagger.close()


def test_py3langid_says_it_runs_inline() -> None:
    assert LangIdModel.inline is True
