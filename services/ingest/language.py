"""The language of an interaction whose channel does not say it, detected from its text.

Detection runs in ingest, just before an interaction is published: one place for every
channel (HTTP adapters and SMTP alike), once per interaction, and before routing reads
`attributes.language` to choose a queue and agents. Routing and history stay free of a
model; a rebuilt history reads the language that was decided, not a re-run of the model.

It must never hold up a channel or routing: a model runs on its own thread, waited for at
most `timeout_ms`; a slow, failed or unsure detection leaves the language unset, which
routing reads as "no known language" (the channel's or customer's language then wins where
routing knows it). A model whose cost is small and bounded by `max_chars` says so
(`inline = True`, py3langid) and runs on the event loop: cheaper than the thread's round
trip. A text too short to detect never reaches a model.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from events import InteractionReceived
from events.interactions import InboundMessage
from schemas.languages import DetectionConfig

log = logging.getLogger(__name__)
# Detections waiting for the tagger's thread, at most: a hung model must not queue every
# message after it (each would wait its timeout for nothing and hold its text in memory).
MAX_QUEUED = 64


@dataclass(frozen=True)
class DetectedLanguage:
    code: str  # ISO 639-1
    confidence: float  # 0..1: for one of ours, its share among ours (see `among_ours`)


class LanguageModel(Protocol):
    def detect(self, text: str) -> DetectedLanguage | None: ...

    # Optional `inline: bool` attribute: True runs `detect` on the event loop (see above).


def among_ours(
    scores: Iterable[tuple[str, float]], ours: Collection[str]
) -> DetectedLanguage | None:
    """The best of all candidates; when it is one of ours, its share among ours alone.

    The neighbours answer "is it ours at all" (a Bulgarian message is not Russian); ours
    answer "which, how sure". Without the second step a plainly Russian "Здравствуйте! Заказ
    4521 до сих пор не отправлен." scored 0.39 (Bulgarian 0.30, Ukrainian 0.26)."""
    ranked = sorted(scores, key=lambda s: s[1], reverse=True)
    if not ranked:
        return None
    code, score = ranked[0]
    if code not in ours:
        return DetectedLanguage(code, score)
    total = sum(s for c, s in ranked if c in ours)
    return DetectedLanguage(code, score / total if total > 0 else 0.0)


class LangIdModel:
    """py3langid (langid.py's naive Bayes model, 4.5 MB in the wheel) over the candidates.
    Chosen over lingua by bench.language_detection: as accurate on our short messages once
    neighbours guard the door, at a third of the cost per message, a tenth of the memory and
    a twentieth of the wheel."""

    # Run on the event loop, not the tagger's thread: its cost is bounded by max_chars
    # (~0.1 ms for a short message, ~0.35 ms at 1,000 characters, bench.burst) and the
    # thread's round trip alone cost ~0.2 ms of CPU per message in ingest (two GIL
    # hand-overs and a loop wake-up), more than the detection itself.
    inline = True

    def __init__(self, candidates: Sequence[str], ours: Collection[str] | None = None) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        unknown = set(candidates) - set(self._ident.nb_classes)
        if unknown:
            raise ValueError(f"languages.detection: unknown languages {sorted(unknown)}")
        self._ident.set_languages(list(candidates))
        self._ours = set(ours if ours is not None else candidates)

    def detect(self, text: str) -> DetectedLanguage | None:
        scores = ((str(code), float(p)) for code, p in self._ident.rank(text))
        return among_ours(scores, self._ours)


def letters(text: str) -> int:
    return sum(map(str.isalpha, text))


def decide(model: LanguageModel, text: str, config: DetectionConfig) -> DetectedLanguage | None:
    """The model's answer when it is worth acting on: enough letters, sure enough, and one
    of the centre's languages (a neighbour's answer means "not ours": unset)."""
    text = text[: config.max_chars]
    if letters(text) < config.min_letters:
        return None
    found = model.detect(text)
    if found is None or found.confidence < config.min_confidence:
        return None
    return found if found.code in config.languages else None


class LanguageTagger:
    """Adds `language`, `language_confidence` and `language_source=detected` to an
    interaction that has text and no language yet."""

    def __init__(self, config: DetectionConfig, model: LanguageModel | None = None) -> None:
        self.config = config
        self._model = model
        # One thread: a model call that overruns its timeout cannot pile up many more.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="language")
        self._loading: asyncio.Future[None] | None = None
        self.detected = self.unsure = self.failed = self.timed_out = self.skipped = 0
        self._queued = 0

    @property
    def ready(self) -> bool:
        return self._model is not None

    def start_loading(self) -> None:
        """Loads the model on the tagger's thread; until then interactions pass untagged."""
        if self._model is None and self._loading is None:
            self._loading = asyncio.get_running_loop().run_in_executor(self._thread, self._load)

    async def load(self) -> None:
        """At service start: a model that cannot load shows on /healthz as a dead loop."""
        self.start_loading()
        if self._loading is not None:
            await self._loading

    def _load(self) -> None:
        started = time.perf_counter()
        self._model = LangIdModel(self.config.candidates, self.config.languages)
        log.info("language models loaded in %.1fs", time.perf_counter() - started)

    async def tag(self, event: InboundMessage) -> InboundMessage:
        if not isinstance(event, InteractionReceived) or event.attributes.get("language"):
            return event
        text = " ".join(t for t in (event.subject_line, event.text) if t)
        model = self._model
        if not text or model is None:
            self.start_loading()
            return event
        if letters(text[: self.config.max_chars]) < self.config.min_letters:
            # `decide` would say "unsure" without the model: not worth the thread's round
            # trip (two GIL hand-overs), a large part of a short message's cost in ingest.
            self.unsure += 1
            return event
        if getattr(model, "inline", False):
            try:
                inline = decide(model, text, self.config)
            except Exception:
                self.failed += 1
                log.exception("language detection failed for %s", event.interaction_id)
                return event
            return self._tagged(event, inline)
        if self._queued >= MAX_QUEUED:
            self.skipped += 1
            return event
        self._queued += 1
        job = asyncio.get_running_loop().run_in_executor(
            self._thread, decide, model, text, self.config
        )
        job.add_done_callback(self._done)
        try:
            found = await asyncio.wait_for(asyncio.shield(job), self.config.timeout_ms / 1000)
        except TimeoutError:
            self.timed_out += 1
            log.warning("language detection timed out for %s", event.interaction_id)
            return event
        except Exception:
            self.failed += 1
            log.exception("language detection failed for %s", event.interaction_id)
            return event
        return self._tagged(event, found)

    def _tagged(self, event: InteractionReceived, found: DetectedLanguage | None) -> InboundMessage:
        if found is None:
            self.unsure += 1
            return event
        self.detected += 1
        attributes = dict(event.attributes)
        attributes["language"] = found.code
        attributes["language_confidence"] = f"{found.confidence:.2f}"
        attributes["language_source"] = "detected"
        return event.model_copy(update={"attributes": attributes})

    def _done(self, job: asyncio.Future[DetectedLanguage | None]) -> None:
        self._queued -= 1
        if not job.cancelled():
            job.exception()  # retrieved: a late failure is not "never retrieved" noise

    def counts(self) -> str:
        return (
            f"{self.detected} detected, {self.unsure} unsure, {self.timed_out} timed out, "
            f"{self.failed} failed, {self.skipped} skipped"
        )

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)
