"""Regenerate kiosk/pinyin_lexicon.json: the Hanzi the on-screen pinyin keyboard offers and the
readings the catalog search matches pinyin against.

Sources (both pinned in the test extra; tests/test_pinyin_lexicon.py checks the shipped file
is what this script makes):
- jieba's dictionary (MIT): word frequencies, to rank characters and words;
- pypinyin (MIT): the readings of characters (all of them, for heteronyms such as 行 xing/hang)
  and of words (phrase-aware: 银行 yin'hang, 重庆 chong'qing).

    .venv/bin/python scripts/make_pinyin_lexicon.py
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "kiosk" / "pinyin_lexicon.json"
CHARS, WORDS = 8000, 24000  # the most frequent characters and words (2 to 4 characters)
CATALOG = OUT.parent / "platform" / "data" / "catalog.json"
# What residents write at a government counter that a general-purpose dictionary ranks low:
# offered first, then the catalog's own words, then the dictionary by frequency.
COUNTER_WORDS = (  # noqa: SIM905 (words as written at a counter: easier to read, extend)
    "社保 医保 社保卡 医保卡 补办 补换 换领 遗失 丢失 损坏 挂失 信息变更 户口 户籍 身份证 "
    "居住证 公积金 不动产 房产证 驾驶证 驾照 护照 通行证 签注 结婚 离婚 生育 出生 新生儿 "
    "落户 迁移 退休 养老 低保 残疾 高龄 津贴 补贴 证明 开具 打印 查询 预约 备案 就医 "
    "异地 转诊 住院 门诊 医院 学校 入学 就业 工作 租房 购房 单位 公司 个体 小区 街道 "
    "社区 村委会 居委会 派出所 号楼 单元 室 路 街 巷 弄 村 组 镇 乡 区 县 市 省"
).split()


def _hanzi(text: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in text)


def build() -> str:
    import jieba
    from pypinyin import Style, lazy_pinyin, pinyin

    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    words: Counter[str] = Counter()
    chars: Counter[str] = Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            word, freq = line.split()[:2]
            if not _hanzi(word):
                continue
            for c in word:  # a character is as common as the words it is written in
                chars[c] += int(freq)
            if 2 <= len(word) <= 4:
                words[word] += int(freq)
    top_chars = [c for c, _ in chars.most_common(CHARS)]
    readings = [
        "|".join(dict.fromkeys(pinyin(c, style=Style.NORMAL, heteronym=True)[0])) for c in top_chars
    ]
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    own = [k for s in catalog["services"] for k in s.get("keywords", [])]
    first = [w for w in dict.fromkeys(COUNTER_WORDS + own) if _hanzi(w) and len(w) >= 2]
    seen = set(first)
    top_words = first + [w for w, _ in words.most_common(WORDS) if w not in seen]
    spelled = ["'".join(lazy_pinyin(w, errors="ignore")) for w in top_words]
    lexicon = {
        "source": "jieba 0.42.1 dict.txt frequencies; pypinyin readings",
        "chars": "".join(top_chars),
        "readings": readings,
        "words": top_words,
        "spelled": spelled,
    }
    return json.dumps(lexicon, ensure_ascii=False, separators=(",", ":")) + "\n"


if __name__ == "__main__":
    OUT.write_text(build(), encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
