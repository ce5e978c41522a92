"""Pinyin from the shipped lexicon: syllables, keyboard candidates, and search matching."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from kiosk import pinyin

ROOT = Path(__file__).resolve().parent.parent


def texts(letters: str, n: int = 12) -> list[str]:
    return [c.text for c in pinyin.candidates(letters)[:n]]


def test_typed_pinyin_is_cut_into_syllables() -> None:
    assert pinyin.split("jianguolu") == ["jian", "guo", "lu"]
    assert pinyin.split("xian") == ["xian"]  # one syllable rather than xi'an
    assert pinyin.split("shebaozh") == ["she", "bao", "zh"]  # the last still being typed
    assert pinyin.split("SB") == ["sb"]


def test_the_words_a_resident_means_come_first() -> None:
    assert texts("shebao")[0] == "社保"
    assert texts("yishi")[0] == "遗失"  # a counter word before the dictionary's 一时
    assert texts("buhuan")[0] == "补换"
    assert texts("xianzai")[0] == "现在"
    assert texts("wang")[0] == "王"  # a whole syllable: 王, not 完工 (wan g…)
    assert "方" not in texts("wang")  # 方 read wang is too rare to offer
    assert texts("sbk")[0] == "社保卡"  # initials
    assert "张" in texts("zhangsan")  # a name: character by character


def test_a_candidate_says_how_many_letters_it_stands_for() -> None:
    found = {c.text: c.consumed for c in pinyin.candidates("jianguolu")}
    assert found["建国"] == len("jianguo") and found["建"] == len("jian")
    assert pinyin.candidates("") == [] and pinyin.candidates("12") == []


def test_letters_match_consecutive_syllables_by_prefixes() -> None:
    spelled = pinyin.spell("社会保障卡补换领")
    assert pinyin.matches("shbzk", spelled) == pinyin.Match(0, 5, 0, 0)
    exact = pinyin.matches("buhuanling", spelled)
    assert exact is not None and exact.start == 5 and exact.exact
    assert pinyin.matches("yinhang", pinyin.spell("中国银行")).exact  # heteronym 行 hang
    assert pinyin.matches("xyz", spelled) is None
    assert pinyin.spell("A1 社") == [("a",), ("1",), ("she",)]


def test_the_shipped_lexicon_is_what_the_generator_makes_from_its_sources() -> None:
    assert importlib.util.find_spec("jieba") is not None, (
        "jieba (test extra) is needed to check the shipped pinyin lexicon"
    )
    made = subprocess.run(
        [sys.executable, "-c", "import make_pinyin_lexicon as m, sys; sys.stdout.write(m.build())"],
        cwd=ROOT / "scripts", capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    shipped = (ROOT / "kiosk" / "pinyin_lexicon.json").read_text(encoding="utf-8")
    assert made.stdout == shipped
