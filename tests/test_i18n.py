"""zh-Hans is the default language and must be complete: every catalogue translated, nothing fuzzy, .mo files current.

Each app carries its own catalogue in <app>/locale/<lang>/LC_MESSAGES/django.po. A catalogue is checked three ways:
every zh_Hans entry has a reviewed translation, the compiled .mo holds exactly what the .po says, and the .po holds
every message the app's source marks for translation (found by running Django's own `makemessages` on a copy).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.apps import apps

DANGJIAN = Path(__file__).resolve().parent.parent / "dangjian"
PO_FILES = sorted(DANGJIAN.glob("**/locale/*/LC_MESSAGES/django.po"))
ZH_PO_FILES = [p for p in PO_FILES if p.parts[-3] == "zh_Hans"]
APP_DIRS = sorted(
    {Path(c.path) for c in apps.get_app_configs() if c.name.startswith("dangjian.")}, key=lambda p: str(p)
)


def rel(path: Path) -> str:
    return str(path.relative_to(DANGJIAN.parent))


def key(entry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def translations(entries) -> dict[tuple[str | None, str], object]:
    return {key(e): (e.msgstr_plural and dict(e.msgstr_plural)) or e.msgstr for e in entries if e.msgid}


def test_there_are_catalogues_for_both_languages():
    assert ZH_PO_FILES, "no zh_Hans catalogue found"
    for po in ZH_PO_FILES:
        assert (po.parents[2] / "en" / "LC_MESSAGES" / "django.po").exists(), f"{rel(po)} has no English sibling"


@pytest.mark.parametrize("po_path", ZH_PO_FILES, ids=rel)
def test_every_zh_hans_message_is_translated_and_none_is_fuzzy(po_path):
    po = polib.pofile(str(po_path))
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    empty = [e.msgid for e in po if not e.obsolete and not e.fuzzy and not e.translated()]
    assert not fuzzy, f"{rel(po_path)}: fuzzy entries {fuzzy}"
    assert not empty, f"{rel(po_path)}: untranslated entries {empty}"


@pytest.mark.parametrize("po_path", PO_FILES, ids=rel)
def test_the_catalogue_passes_msgfmt_format_checks(po_path):
    # GNU gettext's --check-format: a translation keeps the msgid's python-format placeholders.
    if not shutil.which("msgfmt"):
        pytest.skip("GNU gettext's msgfmt is not installed")
    result = subprocess.run(
        ["msgfmt", "--check-format", "--check-header", "-o", "/dev/null", str(po_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("po_path", PO_FILES, ids=rel)
def test_the_compiled_mo_file_is_up_to_date(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{rel(mo_path)} is missing: run compilemessages"
    po = polib.pofile(str(po_path))
    # compilemessages leaves fuzzy and untranslated entries out of the .mo.
    expected = translations(e for e in po if not e.obsolete and not e.fuzzy and e.translated())
    compiled = translations(polib.mofile(str(mo_path)))
    assert compiled == expected, f"{rel(mo_path)} differs from its .po: run compilemessages"


@pytest.mark.parametrize("app_dir", APP_DIRS, ids=rel)
def test_the_zh_hans_catalogue_holds_every_message_of_the_apps_source(app_dir, tmp_path):
    if not shutil.which("xgettext"):
        pytest.skip("GNU gettext's xgettext is not installed")
    copy = tmp_path / app_dir.name
    shutil.copytree(app_dir, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "static", "migrations"))
    (copy / "locale").mkdir()
    subprocess.run(
        [sys.executable, "-P", "-m", "django", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--settings="],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    extracted = copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    wanted = {key(e) for e in polib.pofile(str(extracted)) if e.msgid} if extracted.exists() else set()
    if not wanted:
        return
    catalogue = app_dir / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    assert catalogue.exists(), f"{rel(app_dir)} marks messages for translation but has no zh_Hans catalogue"
    have = {key(e) for e in polib.pofile(str(catalogue)) if not e.obsolete}
    missing = sorted(msgid for _ctx, msgid in wanted - have)
    assert not missing, f"{rel(catalogue)} lacks {missing}: run makemessages and translate"
