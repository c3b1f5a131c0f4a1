"""A simulated judge: Bradley-Terry answers from a latent quality per essay, seeded."""

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from scipy.special import expit  # type: ignore[import-untyped]

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?]+")


@dataclass(frozen=True)
class SimulatedDecision:
    first_won: bool
    confidence: float  # how far the model's win probability is from a coin toss, 0..1


def uniform_from(seed: int, key: str) -> float:
    """A uniform number in [0, 1) that depends only on (seed, key)."""
    digest = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True)
class SimulatedJudgeModel:
    seed: int
    position_bias: float = 0.0  # logit advantage of the essay shown as "Essay A"

    def probability_first_wins(self, first_quality: float, second_quality: float) -> float:
        return float(expit(first_quality - second_quality + self.position_bias))

    def decide(self, first_quality: float, second_quality: float, key: str) -> SimulatedDecision:
        probability = self.probability_first_wins(first_quality, second_quality)
        first_won = uniform_from(self.seed, key) < probability
        return SimulatedDecision(first_won, round(abs(2.0 * probability - 1.0), 6))


def quality_from_text(text: str) -> float:
    """A latent quality in logits from surface features: length, vocabulary, sentence and word size.

    Not a model of writing quality; it gives the simulated judge a stable, text-dependent opinion.
    """
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return -4.0
    sentences = max(1, len([s for s in _SENTENCE_END.split(text) if s.strip()]))
    length = math.log(len(words) / 250.0)
    variety = len(set(words)) / math.sqrt(len(words)) - 6.0
    word_size = sum(map(len, words)) / len(words) - 4.5
    sentence_size = -abs(len(words) / sentences - 18.0) / 10.0
    raw = 0.9 * length + 0.25 * variety + 0.6 * word_size + 0.5 * sentence_size
    return max(-4.0, min(4.0, raw))


OPENING_WORDS = 12


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


def opening_key(text: str) -> str:
    """A text's first words, lower-cased, letters only: the same for a .txt, .docx or .pdf copy."""
    return " ".join(_words(text)[:OPENING_WORDS])


@dataclass(frozen=True)
class DeclaredQualities:
    """Latent qualities declared for known texts, such as a demo's essays and anchors.

    A text has the declared quality of the first declared opening (a text's first words, see
    `opening_key`) that occurs in it, so a heading or the task above an essay does not hide it;
    any other text gets `quality_from_text`. Only the simulated judge reads them: the texts carry
    no marker, so nothing extra reaches an LLM judge or a teacher.
    """

    by_opening: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, qualities: Mapping[str, float]) -> "DeclaredQualities":
        """From text (or its opening) -> quality in logits."""
        return cls({opening_key(text): float(quality) for text, quality in qualities.items()})

    def __call__(self, text: str) -> float:
        words = f" {' '.join(_words(text))} "
        found = [
            (position, quality)
            for opening, quality in self.by_opening.items()
            if opening and (position := words.find(f" {opening} ")) >= 0
        ]
        return min(found)[1] if found else quality_from_text(text)
