"""Made-up documents for tests that need many of them: fast, seeded, no external data."""

from __future__ import annotations

import json
import random
from pathlib import Path

WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at "
    "which but have an they you were her she there been one all we their has would when if "
    "so no will more about can out up them some what only into its time could new two may "
    "then do first any my now such like our over man me even most made after also did many "
    "harbour river bridge council market school station weather minister court report city "
    "village valley storm election museum festival factory hospital railway garden library"
).split()


def article(rng: random.Random, paragraphs: int = 4) -> str:
    lines = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(rng.randint(2, 5)):
            words = rng.choices(WORDS, k=rng.randint(8, 20))
            sentences.append(" ".join(words).capitalize() + ".")
        lines.append(" ".join(sentences))
    return "\n".join(lines)


def write_jsonl_corpus(path: Path, docs: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for i in range(docs):
            record = {"id": f"doc{i:07d}", "text": article(rng), "site": f"site{i % 7}.example"}
            f.write(json.dumps(record) + "\n")
    return path
