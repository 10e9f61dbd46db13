"""Deterministic English sentences for the demo corpus, from templates and word lists (no download).

Templates mix statements, questions, exclamations, numbers and lists so that prosody varies;
lengths are 5-11 words (~1.5-4 s at 150-190 words per minute).
"""

from __future__ import annotations

import random

SUBJECTS = [
    "the old farmer",
    "a young pilot",
    "my sister",
    "the quiet teacher",
    "our neighbour",
    "the tall doctor",
    "a tired student",
    "the clever child",
    "her brother",
    "the night guard",
    "a famous singer",
    "the baker",
    "his grandmother",
    "the new manager",
    "a lonely sailor",
    "the painter",
    "your cousin",
    "the captain",
    "a curious fox",
    "the small dog",
]
VERBS = [  # (past, base)
    ("carried", "carry"),
    ("painted", "paint"),
    ("found", "find"),
    ("opened", "open"),
    ("cleaned", "clean"),
    ("sold", "sell"),
    ("borrowed", "borrow"),
    ("fixed", "fix"),
    ("dropped", "drop"),
    ("watched", "watch"),
    ("moved", "move"),
    ("packed", "pack"),
    ("hid", "hide"),
    ("measured", "measure"),
    ("wrapped", "wrap"),
    ("lost", "lose"),
]
OBJECTS = [
    "the blue basket",
    "a heavy box",
    "the wooden chair",
    "seven apples",
    "the broken clock",
    "a silver key",
    "the map",
    "an empty bottle",
    "the yellow kite",
    "a warm blanket",
    "the letters",
    "a bag of rice",
    "the garden gate",
    "two old books",
    "the kitchen window",
    "a green umbrella",
    "the fishing boat",
    "a jar of honey",
]
PLACES = [
    "near the river",
    "in the kitchen",
    "behind the station",
    "at the market",
    "on the hill",
    "under the bridge",
    "by the lake",
    "in the library",
    "across the street",
    "at the harbour",
]
TIMES = [
    "this morning",
    "last night",
    "on Sunday",
    "before dinner",
    "after the storm",
    "at noon",
    "in winter",
    "yesterday",
    "every evening",
    "at dawn",
]
EVENTS = [
    "dinner",
    "the storm",
    "noon",
    "the train leaves",
    "the guests arrive",
    "it gets dark",
    "the market opens",
    "lunch",
]
ADJECTIVES = ["bright", "cold", "strange", "quiet", "busy", "gentle", "windy", "pleasant"]
PLURALS = ["birds", "boats", "lamps", "windows", "horses", "trees", "bicycles", "candles"]
NUMBERS = ["three", "twelve", "forty", "nine", "sixteen", "eighty", "five", "twenty two"]

TEMPLATES = [
    "{Subject} {past} {object} {place}.",
    "{Subject} {past} {object} {time}.",
    "Did {subject} {base} {object} {place}?",
    "{Time}, {subject} will {base} {object}.",
    "Please {base} {object} before {event}.",
    "There were {number} {plural} {place} {time}.",
    "What a {adjective} day it was {place}!",
    "Why would {subject} {base} {object}?",
    "{Subject} never {past} {object}, did they?",
    "It was {adjective} and {adjective2} {place}.",
    "We counted {number} {plural}, then {subject} {past} {object}.",
    "Tell {subject} to {base} {object} {place}.",
]


def _fill(rng: random.Random, template: str) -> str:
    past, base = rng.choice(VERBS)
    adj, adj2 = rng.sample(ADJECTIVES, 2)
    subject, time = rng.choice(SUBJECTS), rng.choice(TIMES)
    values = {
        "subject": subject,
        "Subject": subject[0].upper() + subject[1:],
        "past": past,
        "base": base,
        "object": rng.choice(OBJECTS),
        "place": rng.choice(PLACES),
        "time": time,
        "Time": time[0].upper() + time[1:],
        "event": rng.choice(EVENTS),
        "number": rng.choice(NUMBERS),
        "plural": rng.choice(PLURALS),
        "adjective": adj,
        "adjective2": adj2,
    }
    return template.format(**values)


def make_sentences(n: int, seed: int) -> list[str]:
    """n distinct sentences, the same list for the same (n, seed) on every machine."""
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    for _ in range(100 * n):
        sentence = _fill(rng, TEMPLATES[len(out) % len(TEMPLATES)])
        if sentence not in seen:
            seen.add(sentence)
            out.append(sentence)
            if len(out) == n:
                return out
    raise RuntimeError(f"could not draw {n} distinct sentences; extend the word lists")
