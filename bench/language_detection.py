"""Language detection of short customer messages: accuracy and cost of the candidates.

    python -m bench.language_detection [--seconds 2]

The labelled set is tests/fixtures/language_samples.json (Russian, Ukrainian, Turkish,
English and German, 20 short support messages each, and 20 in other languages a centre of
these five does not serve). Each detector runs twice: choosing among the five languages
only, and among the five plus `languages.detection.neighbours` (as ingest configures it).
For each: load time and resident memory added, top-1 accuracy on the five, and what ingest
would keep (`decide`: confidence >= min_confidence, enough letters, one of the five):
right, wrong, left unset, and how many of the other languages' messages were wrongly kept
as one of the five; then messages/s over the labelled set for `--seconds`. Baseline in the
same run: a plain `str.lower()` pass over the same texts.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from schemas.languages import DetectionConfig
from services.ingest.language import (
    DetectedLanguage,
    LangIdModel,
    LanguageModel,
    among_ours,
    decide,
)

SAMPLES = Path(__file__).parent.parent / "tests" / "fixtures" / "language_samples.json"


def labelled() -> list[tuple[str, str]]:
    data = json.loads(SAMPLES.read_text())
    return [(lang, text) for lang, texts in data.items() if lang[0] != "_" for text in texts]


def others() -> list[str]:
    return list(json.loads(SAMPLES.read_text())["_others"])


def resident_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


class LinguaModel:
    """lingua-language-detector, limited to the candidates, models loaded up front (lazily,
    the first message of each language would wait seconds for its model)."""

    def __init__(self, languages: Sequence[str], ours: Collection[str] | None = None) -> None:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        chosen = []
        for code in languages:
            try:
                chosen.append(Language.from_iso_code_639_1(IsoCode639_1.from_str(code)))
            except ValueError:
                raise ValueError(f"languages.detection.languages: {code!r} is unknown") from None
        builder = LanguageDetectorBuilder.from_languages(*chosen)
        self._detector = builder.with_preloaded_language_models().build()
        self._ours = set(ours if ours is not None else languages)

    def detect(self, text: str) -> DetectedLanguage | None:
        values = self._detector.compute_language_confidence_values(text)
        scores = ((v.language.iso_code_639_1.name.lower(), v.value) for v in values)
        return among_ours(scores, self._ours)


def rate(work: Callable[[str], object], texts: list[str], seconds: float) -> float:
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for text in texts:
            work(text)
        done += len(texts)
    return done / elapsed


def measure(
    name: str,
    make: Callable[[list[str], list[str]], LanguageModel],
    seconds: float,
    config: DetectionConfig,
) -> dict[str, float | str]:
    rss, started = resident_mb(), time.perf_counter()
    model = make(config.candidates, config.languages)
    load_s = time.perf_counter() - started
    samples = labelled()
    top1 = sum((found := model.detect(t)) is not None and found.code == lang for lang, t in samples)
    kept = [(lang, decide(model, t, config)) for lang, t in samples]
    right = sum(f is not None and f.code == lang for lang, f in kept)
    wrong = sum(f is not None and f.code != lang for lang, f in kept)
    taken = sum(decide(model, t, config) is not None for t in others())
    per_s = rate(model.detect, [t for _, t in samples], seconds)
    return {
        "detector": name,
        "candidates": len(config.candidates),
        "load_s": round(load_s, 2),
        "memory_mb": round(resident_mb() - rss),
        "top1_accuracy": round(top1 / len(samples), 3),
        "kept_right": right,
        "kept_wrong": wrong,
        "unset": len(samples) - right - wrong,
        "others_kept": taken,
        "messages_per_s": round(per_s, 1),
        "us_per_message": round(1e6 / per_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    wide = DetectionConfig()
    narrow = wide.model_copy(update={"neighbours": []})
    texts = [t for _, t in labelled()]
    lower_per_s = rate(str.lower, texts, args.seconds)
    results = [
        measure(name, make, args.seconds, config)
        for config in (narrow, wide)
        for name, make in (("lingua", LinguaModel), ("py3langid", LangIdModel))
    ]
    print(f"{len(texts)} labelled + {len(others())} other-language messages")
    keys: tuple[str, ...] = ("detector", "candidates", "load_s", "memory_mb", "top1_accuracy")
    keys += ("kept_right", "kept_wrong", "unset", "others_kept", "messages_per_s")
    keys += ("us_per_message",)
    print("".join(f"{k[:11]:>12}" for k in keys) + f"{'/lower()':>12}")
    for r in results:
        ratio = float(r["messages_per_s"]) / lower_per_s
        print("".join(f"{r[k]!s:>12}" for k in keys) + f"{ratio:>12.5f}")
    print(f"{'str.lower()':>12}{'':>108}{lower_per_s:>12.0f}")
    print(
        json.dumps(
            {
                "bench": "language_detection",
                "messages": len(texts),
                "lower_per_s": round(lower_per_s),
                "detectors": results,
            }
        )
    )


if __name__ == "__main__":
    main()
