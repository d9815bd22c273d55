"""Chinese word segmentation for full-text search: jieba's search mode, words joined by spaces."""

from __future__ import annotations


def segment(text: str) -> str:
    """Chinese has no spaces between words and full-text engines need them; search mode adds the short words too."""
    import jieba

    return " ".join(w for w in jieba.cut_for_search(text) if w.strip())
