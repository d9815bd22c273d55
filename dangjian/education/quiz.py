"""Quizzes without the database: the deterministic draw of questions, grading, option rules and the import rows.

The draw is seeded by the quiz, the member and the day (a daily quiz) or the attempt's number (a special test), so
it is the same however often it is computed and differs from one day to the next; questions the member answered in
the last days come last, so a daily quiz repeats itself only when the banks run out.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SINGLE, MULTIPLE, TRUE_FALSE = "single", "multiple", "true_false"
MAX_OPTIONS = 6
LETTERS = "ABCDEF"


def seed_for(quiz_id: int, user_id: int, *, day: date | None = None, number: int = 1) -> str:
    """A daily quiz's draw changes with the day; a special test's with the attempt."""
    return f"daily:{quiz_id}:{user_id}:{day.isoformat()}" if day is not None else f"test:{quiz_id}:{user_id}:{number}"


def draw(pool: Iterable[int], count: int, seed: str, seen: Iterable[int] = ()) -> list[int]:
    """`count` question ids of the pool in a fixed random order for the seed; questions not seen come first."""
    rng = random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big"))
    ordered = sorted(set(pool))
    seen_set = set(seen)
    fresh = [q for q in ordered if q not in seen_set]
    again = [q for q in ordered if q in seen_set]
    rng.shuffle(fresh)
    rng.shuffle(again)
    return (fresh + again)[: max(0, count)]


def is_right(correct: Iterable[int], chosen: Iterable[int]) -> bool:
    """All or nothing: exactly the right options (a multiple-choice question with one missing is wrong)."""
    right = set(correct)
    return bool(right) and set(chosen) == right


def score(correct: int, total: int) -> int:
    """Percent, rounded half up (a score on a certificate is never rounded to even)."""
    return (200 * correct + total) // (2 * total) if total else 0


def check_options(kind: str, options: Sequence[tuple[str, bool]]) -> None:
    """The rule of a question's options: one right answer of two to six (single), two or more right (multiple),
    exactly two with one right (true or false); every option says something, and no two say the same."""
    texts = [t.strip() for t, _right in options]
    right = sum(1 for _t, r in options if r)
    if any(not t for t in texts):
        raise ValidationError(_("Every option needs a text."))
    if len(set(texts)) != len(texts):
        raise ValidationError(_("Two options say the same."))
    if kind == TRUE_FALSE:
        if len(options) != 2 or right != 1:
            raise ValidationError(_("A true-or-false question has two options, one of them right."))
    elif kind == SINGLE:
        if not 2 <= len(options) <= MAX_OPTIONS or right != 1:
            raise ValidationError(
                _("A single-choice question has 2 to %(n)s options, exactly one of them right.") % {"n": MAX_OPTIONS}
            )
    elif kind == MULTIPLE:
        if not 3 <= len(options) <= MAX_OPTIONS or right < 2:
            raise ValidationError(
                _("A multiple-choice question has 3 to %(n)s options, two or more of them right.") % {"n": MAX_OPTIONS}
            )
    else:
        raise ValidationError(_("Unknown kind of question."))


# --- import of questions from a spreadsheet -------------------------------------------------------------

KINDS = {
    "单选": SINGLE, "单选题": SINGLE, "single": SINGLE,
    "多选": MULTIPLE, "多选题": MULTIPLE, "multiple": MULTIPLE,
    "判断": TRUE_FALSE, "判断题": TRUE_FALSE, "true_false": TRUE_FALSE, "true/false": TRUE_FALSE,
}  # fmt: skip
TRUE_WORDS = {"对", "正确", "√", "是", "t", "true", "y", "yes"}
FALSE_WORDS = {"错", "错误", "×", "x", "否", "f", "false", "n", "no"}
#: Header names a column may have (Chinese as in the template, or English).
COLUMNS = {
    "kind": ("题型", "kind"),
    "text": ("题干", "题目", "question"),
    "answer": ("答案", "answer"),
    "explanation": ("解析", "explanation"),
    **{f"option{c}": (f"选项{c}", c, f"option {c}".lower(), f"option{c}".lower()) for c in LETTERS},
}
MAX_ROWS = 2000


@dataclass
class ImportedQuestion:
    row: int
    kind: str
    text: str
    options: list[tuple[str, bool]] = field(default_factory=list)
    explanation: str = ""


def _header(cells: Sequence) -> dict[str, int]:
    names = {name.lower(): key for key, aliases in COLUMNS.items() for name in aliases}
    found = {}
    for i, cell in enumerate(cells):
        key = names.get(re.sub(r"\s+", "", str(cell)).lower()) or names.get(str(cell).strip().lower())
        if key and key not in found:
            found[key] = i
    missing = [COLUMNS[k][0] for k in ("kind", "text", "answer") if k not in found]
    if missing:
        raise ValidationError(_("The header row lacks the columns: %(columns)s.") % {"columns": "、".join(missing)})
    return found


def _answer_letters(answer: str, count: int) -> set[int]:
    letters = re.sub(r"[\s,，、;；/]+", "", answer).upper()
    if not letters or any(c not in LETTERS[:count] for c in letters):
        raise ValidationError(
            _("The answer “%(answer)s” is not made of the letters of the options (A to %(last)s).")
            % {"answer": answer, "last": LETTERS[max(0, count - 1)]}
        )
    return {LETTERS.index(c) for c in letters}


def parse_rows(rows: Iterable[tuple[int, list]], true_label: str, false_label: str) -> list[ImportedQuestion]:
    """Questions of a spreadsheet (header first); every problem is reported with its row, and none is returned
    unless all rows are good."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        raise ValidationError(_("The file is empty."))
    columns = _header(first[1])
    found: list[ImportedQuestion] = []
    problems: list[str] = []

    def cell(cells: list, key: str) -> str:
        i = columns.get(key)
        return str(cells[i]).strip() if i is not None and i < len(cells) and cells[i] is not None else ""

    for number, cells in rows:
        if not any(str(c).strip() for c in cells):
            continue
        if len(found) + len(problems) >= MAX_ROWS:
            raise ValidationError(_("At most %(n)s questions can be imported at once.") % {"n": MAX_ROWS})
        try:
            kind = KINDS.get(cell(cells, "kind").lower())
            if kind is None:
                raise ValidationError(_("The kind must be 单选, 多选 or 判断."))
            text = cell(cells, "text")
            if not text:
                raise ValidationError(_("The question is empty."))
            answer = cell(cells, "answer")
            if kind == TRUE_FALSE:
                word = answer.lower()
                if word not in TRUE_WORDS | FALSE_WORDS:
                    raise ValidationError(_("The answer of a true-or-false question is 对 or 错."))
                options = [(true_label, word in TRUE_WORDS), (false_label, word in FALSE_WORDS)]
            else:
                texts = [t for c in LETTERS if (t := cell(cells, f"option{c}"))]
                right = _answer_letters(answer, len(texts))
                options = [(t, i in right) for i, t in enumerate(texts)]
            check_options(kind, options)
            if len(text) > 2000 or any(len(t) > 300 for t, _r in options):
                raise ValidationError(_("A question is at most 2000 characters and an option at most 300."))
            found.append(ImportedQuestion(number, kind, text, options, cell(cells, "explanation")[:2000]))
        except ValidationError as exc:
            problems.append(_("Row %(row)s: %(reason)s") % {"row": number, "reason": " ".join(exc.messages)})
    if problems:
        raise ValidationError(problems[:20] + ([_("… and more.")] if len(problems) > 20 else []))
    if not found:
        raise ValidationError(_("The file has no questions below its header row."))
    return found
