"""Chinese text for the index and the query: normalised (traditional → simplified, full-width → ASCII, lower case)
and segmented into words with jieba, separated by spaces, so any word-based full-text engine can index it.

Index time uses jieba's search mode (every dictionary word inside a long word too: 中华人民共和国 also yields 中华,
人民, 共和国), query time its precise mode, so the query's words are a subset of what the index holds.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache

import jieba

from dangjian.search.variants import TRADITIONAL_TO_SIMPLIFIED

jieba.setLogLevel(logging.WARNING)

#: Words of this platform that jieba's general dictionary splits or misses.
DOMAIN_WORDS = (
    "党建", "会昌", "会昌县", "组工", "组工通讯", "党务公开", "政务公开", "任前公示", "大学生村干部", "干部任免",
    "党支部", "党小组", "三会一课", "主题党日", "第一书记", "星期日课堂", "远程教育", "党员干部", "基层党建",
    "通报批评", "书记信箱", "县长信箱", "民声通道", "党费", "知识库", "人才工作", "干部工作", "乡村振兴",
)  # fmt: skip

_ready = threading.Lock()
_initialised = False
_TRANSLATE = str.maketrans(TRADITIONAL_TO_SIMPLIFIED)
# A token worth indexing holds at least one letter, digit or CJK character.
_WORDLIKE = re.compile(r"[0-9a-z\u3400-\u9fff]")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _init() -> None:
    global _initialised
    if _initialised:
        return
    with _ready:
        if not _initialised:
            from dangjian.core.demo import TOWNSHIPS

            # The county's townships, with and without 镇/乡, so a place name is one word in the index and the query.
            places = [name for township, _villages in TOWNSHIPS for name in (township, township[:-1])]
            for word in (*DOMAIN_WORDS, *places):
                jieba.add_word(word, freq=200000)
            _initialised = True


def warm_up() -> None:
    """Load jieba's dictionary now (about a second and some tens of MB), so that a web process's first searches
    do not wait for it: called once per process by the WSGI entry point."""
    _init()
    jieba.initialize()


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII), traditional characters to simplified, lower case."""
    return unicodedata.normalize("NFKC", text).translate(_TRANSLATE).lower()


def _words(text: str, *, search_mode: bool) -> list[str]:
    _init()
    text = normalise(text)
    # HMM off on both sides: jieba's HMM joins unknown characters with their neighbours depending on the context
    # (为筠门岭 in a sentence, 筠门岭 in a query), so the index and the query would disagree; without it an unknown
    # name falls into the same dictionary words or single characters wherever it stands.
    cut = jieba.cut_for_search(text, HMM=False) if search_mode else jieba.cut(text, HMM=False)
    return [w for w in (t.strip() for t in cut) if w and _WORDLIKE.search(w)]


def segment_for_index(text: str) -> str:
    """The words of a text for the index, space-separated, each Chinese character of them too.

    A query cut in precise mode can leave a single character where the text's words hold it inside a longer
    word (黄龙病 is 黄龙 + 病 in a query, while 黄龙病防治 is 黄龙 + 病防治 in a title): the characters keep the
    query's words a subset of the index's."""
    if not text:
        return ""
    words = _words(text, search_mode=True)
    characters = dict.fromkeys(ch for w in words if len(w) > 1 for ch in w if _CJK.match(ch))
    return " ".join([*words, *characters])


@lru_cache(maxsize=4096)
def query_words(query: str) -> tuple[str, ...]:
    """The distinct words of a query, in order."""
    seen: dict[str, None] = {}
    for w in _words(query, search_mode=False):
        seen.setdefault(w, None)
    return tuple(seen)


def segment_query(query: str) -> str:
    return " ".join(query_words(query))
