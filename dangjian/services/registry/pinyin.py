"""Names in pinyin, so `zhangsan` and `zs` both find 张三. Surnames read differently from the common reading
(曾 zēng, 单 shàn, 解 xiè …) are read as surnames."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin

SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha", "区": "ou", "覃": "qin",
    "盖": "ge", "乐": "yue", "缪": "miao", "翟": "zhai", "长孙": "zhang sun", "尉迟": "yu chi", "万俟": "mo qi",
    "秘": "bi", "任": "ren", "沈": "shen", "宁": "ning", "华": "hua", "纪": "ji", "员": "yun", "蕃": "pi",
}  # fmt: skip


def _syllables(name: str) -> list[str]:
    name = "".join(name.split())
    for length in (2, 1):
        surname = name[:length]
        if len(name) > length and surname in SURNAME_READINGS:
            return SURNAME_READINGS[surname].split() + lazy_pinyin(name[length:], style=Style.NORMAL)
    return lazy_pinyin(name, style=Style.NORMAL)


@lru_cache(maxsize=65_536)  # names repeat: a county has many 张伟; an import reads each name once
def name_pinyin(name: str) -> tuple[str, str]:
    """(full pinyin, initials), lower case without spaces: 张三 → ("zhangsan", "zs")."""
    syllables = [s.lower() for s in _syllables(name) if s.strip()]
    return "".join(syllables)[:200], "".join(s[0] for s in syllables if s[0].isalnum())[:50]
