"""Pinyin for the on-screen keyboard and for search (headless), from a shipped lexicon.

Loading pypinyin takes about a second and 60 MB, too slow for a screen that must answer a
tap in 50 ms; kiosk/pinyin_lexicon.json (scripts/make_pinyin_lexicon.py) holds the 8,000
most used characters with all their readings and 24,000 words with theirs, loaded in a few
milliseconds on first use.

    load()                         loads it now (a worker at start), else on first use
    readings("行")                 -> ("xing", "hang", ...)   toneless, most usual first
    spell("社保")                  -> [("she",), ("bao",)]     per character; other characters
                                                               stand for themselves
    split("shebaok")               -> ["she", "bao", "k"]      syllables, the last maybe partial
    candidates("shebao", limit=8)  -> [Candidate("社保", 6), Candidate("社", 3), ...]
                                      words that spell the start of what was typed (how many
                                      letters each consumes), then single characters
    matches("sbzm", spell("社保证明")) -> Match(start=0, length=4, full=0, rare=0): prefixes
                                      of each of consecutive syllables (initials, full
                                      pinyin, or a mix: shebaozm)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

_DATA = Path(__file__).with_name("pinyin_lexicon.json")


@dataclass(frozen=True)
class _Lexicon:
    readings: dict[str, tuple[str, ...]]
    rank: dict[str, int]  # character → 0 for the most used
    words: tuple[tuple[str, tuple[str, ...]], ...]  # most used first
    syllables: frozenset[str]


@cache
def _lexicon() -> _Lexicon:
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    chars: str = data["chars"]
    readings = {c: tuple(r.split("|")) for c, r in zip(chars, data["readings"], strict=True)}
    words = tuple(
        (w, tuple(s.split("'"))) for w, s in zip(data["words"], data["spelled"], strict=True)
    )
    syllables = frozenset(r for rs in readings.values() for r in rs if r.isalpha())
    return _Lexicon(readings, {c: i for i, c in enumerate(chars)}, words, syllables)


def load() -> None:
    """Load the lexicon and its indexes now (about 70 ms), e.g. in a worker at start, so the
    first search or keyboard tap does not wait for it."""
    _lexicon()
    _index()
    _words()


def readings(char: str) -> tuple[str, ...]:
    return _lexicon().readings.get(char, ())


def spell(text: str) -> list[tuple[str, ...]]:
    """Each character's readings, the one it has in context first: where the text holds a
    word of the lexicon, the word's reading (行 in 银行 is hang, not xing). A letter or digit
    (or a character not in the lexicon) stands for itself, lower-cased."""
    lexicon, words = _lexicon(), _words()
    chars = [c for c in text if not c.isspace()]
    out: list[tuple[str, ...]] = []
    at = 0
    while at < len(chars):
        for size in range(min(4, len(chars) - at), 1, -1):
            said = words.get("".join(chars[at : at + size]))
            if said is not None and len(said) == size:
                for char, reading in zip(chars[at : at + size], said, strict=True):
                    others = lexicon.readings.get(char, ())
                    out.append((reading, *(r for r in others if r != reading)))
                at += size
                break
        else:
            out.append(lexicon.readings.get(chars[at]) or (chars[at].lower(),))
            at += 1
    return out


@cache
def _words() -> dict[str, tuple[str, ...]]:
    return dict(_lexicon().words)


def split(letters: str) -> list[str]:
    """Syllables, as few as can spell it, with the rest (a syllable being typed, or
    initials) last: "xian" → ["xian"], "jianguolu" → ["jian", "guo", "lu"],
    "shebaozh" → ["she", "bao", "zh"]."""
    letters = letters.lower()
    return list(_split(letters)) if letters else []


@lru_cache(maxsize=4096)
def _split(letters: str) -> tuple[str, ...]:
    known = _lexicon().syllables
    options = [
        (letters[:size], *_split(letters[size:])) if size < len(letters) else (letters,)
        for size in range(min(6, len(letters)), 0, -1)
        if letters[:size] in known
    ]
    if not options:
        return (letters,)
    return max(options, key=lambda o: (o[-1] in known, -len(o)))  # whole syllables, fewest


@dataclass(frozen=True)
class Candidate:
    text: str
    consumed: int  # letters of the typed pinyin this candidate stands for


def _consumed(letters: str, spelled: tuple[str, ...]) -> tuple[int, int]:
    """(letters consumed, syllables typed in full) when every syllable of a word takes a
    non-empty prefix of what is left of the letters (full pinyin, initials, or the syllable
    being typed); (0, 0) when the word does not fit."""
    if not spelled:
        return (0, 0)
    syllable, best = spelled[0], (0, 0)
    for size in range(min(len(syllable), len(letters)), 0, -1):
        if letters[:size] != syllable[:size]:
            continue
        if len(spelled) == 1:
            return max(best, (size, int(size == len(syllable))))
        used, full = _consumed(letters[size:], spelled[1:])
        if used:
            best = max(best, (size + used, full + (size == len(syllable))))
    return best


@cache
def _index() -> tuple[
    dict[str, tuple[str, ...]],
    dict[str, tuple[tuple[str, ...], ...]],
    dict[str, tuple[tuple[str, tuple[str, ...]], ...]],
]:
    """Characters by reading (usual readings first, then the rarer, each most used first),
    words by their first syllable and by its first letter, most used first."""
    lexicon = _lexicon()
    usual: dict[str, list[str]] = {}
    rare: dict[str, list[str]] = {}
    for char, rs in lexicon.readings.items():  # in frequency order
        for position, reading in enumerate(rs):
            (usual if position == 0 else rare).setdefault(reading, []).append(char)
    # usual readings before rare ones (方 is read wang only in old texts), each by use
    chars = {r: tuple(usual.get(r, [])) + tuple(rare.get(r, [])) for r in usual.keys() | rare}
    by_first: dict[str, list[tuple[str, ...]]] = {}
    by_letter: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for word, spelled in lexicon.words:
        if spelled and spelled[0]:
            by_first.setdefault(spelled[0], []).append((word,) + spelled)
            by_letter.setdefault(spelled[0][0], []).append((word, spelled))
    return (
        chars,
        {k: tuple(v) for k, v in by_first.items()},
        {k: tuple(v) for k, v in by_letter.items()},
    )


def candidates(letters: str, limit: int = 12) -> list[Candidate]:
    """What the typed pinyin may stand for. First the words whose syllables are the typed
    ones (社保 for "shebao", the last syllable maybe still being typed), longest then most
    used; then the characters of the first syllable; when no word spells it so, words by
    initials or partial syllables (社保 for "sb")."""
    letters = letters.lower()
    if not letters or not letters.isascii() or not letters.isalpha():
        return []
    chars, by_first, by_letter = _index()
    parts = split(letters)
    partial = parts[-1] not in _lexicon().syllables
    heads = (
        [parts[0]]
        if not (partial and len(parts) == 1)
        else [r for r in by_first if r.startswith(parts[0])]
    )
    aligned: list[tuple[int, int, str, int]] = []
    for head in heads:
        for order, (word, *spelled) in enumerate(by_first.get(head, ())):
            n = len(spelled)
            if n > len(parts) or spelled[: n - 1] != parts[: n - 1]:
                continue
            last, typed = spelled[-1], parts[n - 1]
            if last == typed or (n == len(parts) and partial and last.startswith(typed)):
                aligned.append((-n, order, word, sum(map(len, parts[:n]))))
    found = {w: Candidate(w, used) for _, _, w, used in sorted(aligned)[:limit]}
    first = parts[0]
    if first in chars:
        heads = [first]
    else:  # a syllable being typed, or initials: the characters it may begin
        heads = [r for r in chars if r.startswith(first[:1]) and first.startswith(r[: len(first)])]
    single = [c for head in heads for c in chars.get(head, ())]
    if len(heads) > 1:  # merge: each head's usual characters first, then by use
        usual = {c for head in heads for c in chars.get(head, ()) if readings(c)[0] == head}
        single.sort(key=lambda c: (c not in usual, _lexicon().rank[c]))
    for char in single[:limit]:
        found.setdefault(char, Candidate(char, len(first)))
    if not aligned and parts[-1] not in _lexicon().syllables:  # initials, as in "sb"
        loose = []
        for order, (word, spelling) in enumerate(by_letter.get(letters[0], ())):
            if len(spelling) <= len(letters):
                used, full = _consumed(letters, spelling)
                if used > 1:
                    loose.append((-used, -full, order, word))
        for used, _, _, word in sorted(loose)[:limit]:
            found.setdefault(word, Candidate(word, -used))
    return list(found.values())


@dataclass(frozen=True)
class Match:
    start: int  # the syllable where the letters start to match
    length: int  # syllables the letters spell
    full: int  # of which typed in full (shebao: 2; sbzm: 0)
    rare: int  # of which spelled by a rarer reading (参 as shen, 份 as bin)

    @property
    def exact(self) -> bool:
        """Every syllable typed in full by its usual reading: the resident meant this."""
        return self.full == self.length and not self.rare


def matches(letters: str, spelled: list[tuple[str, ...]]) -> Match | None:
    """Whether the letters spell consecutive syllables of `spelled`, each by a prefix of one
    of its readings (full pinyin, initials or a mix); the best start (usual readings, typed
    in full, earliest)."""
    letters = letters.lower()
    if not letters:
        return None
    best: tuple[int, int, int] | None = None
    found: Match | None = None
    for start in range(len(spelled)):
        if not any(r.startswith(letters[0]) for r in spelled[start]):
            continue
        fit = _fit(letters, tuple(spelled[start:]))
        if fit is None:
            continue
        full, rare, length = fit
        quality = (-rare, full - length, -start)
        if best is None or quality > best:
            best, found = quality, Match(start, length, full, rare)
    return found


@lru_cache(maxsize=65536)  # bounded: a kiosk runs for months
def _fit(letters: str, spelled: tuple[tuple[str, ...], ...]) -> tuple[int, int, int] | None:
    """(syllables typed in full, syllables by a rarer reading, syllables used) for the best
    way `letters` is consumed by prefixes of consecutive readings from the first syllable;
    None when it cannot be."""
    if not letters:
        return (0, 0, 0)
    if not spelled:
        return None
    best: tuple[int, int, int] | None = None
    for position, reading in enumerate(spelled[0]):
        for size in range(min(len(reading), len(letters)), 0, -1):
            if letters[:size] != reading[:size]:
                continue
            rest = _fit(letters[size:], spelled[1:])
            if rest is None:
                continue
            fit = (rest[0] + (size == len(reading)), rest[1] + (position > 0), rest[2] + 1)
            if best is None or (-fit[1], fit[0] - fit[2]) > (-best[1], best[0] - best[2]):
                best = fit
    return best
