"""Accessibility checks run in the browser: axe-core against WCAG 2.1 A/AA, and a walk with the Tab key.

axe-core comes with axe-playwright-python (its axe.min.js is injected from the package, nothing is fetched).
The keyboard walk follows WCAG 2.1: 2.1.1 (every control works from the keyboard), 2.4.1 (a way to bypass the
repeated header), 2.4.3 (a meaningful focus order), 2.4.7 (focus visible) and 1.4.11 (the focus ring contrasts
at least 3:1 with what is around it).
"""

from __future__ import annotations

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_axe = Axe()


def assert_no_axe_violations(page, what: str) -> None:
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]})
    assert results.violations_count == 0, f"axe-core on {what}:\n{results.generate_report()}"


def screenshot(page, path: Path, *, full_page: bool = True) -> Path:
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000, f"{path} looks empty"
    return path


# Everything a keyboard user must be able to reach: what the browser puts in the Tab order, when it is shown.
_CONTROLS_JS = """() => {
  const selector = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), '
    + 'select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
  const shown = el => {
    const s = getComputedStyle(el);
    return el.getClientRects().length > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  return [...document.querySelectorAll(selector)]
    .filter(el => shown(el) || el.classList.contains('skip-link'))
    .map((el, i) => { el.dataset.kbd = String(i); return describe(el); });
  function describe(el) { return el.dataset.kbd + ' ' + el.tagName.toLowerCase() + ' ' +
    (el.getAttribute('aria-label') || el.textContent || el.name || el.id || '').trim().slice(0, 40); }
}"""

# The element that has the focus now, and how visible its focus ring is against what lies behind it.
_FOCUS_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const behind = node => {
    for (let n = node.parentElement; n; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const s = getComputedStyle(el);
  const width = s.outlineStyle === 'none' ? 0 : parseFloat(s.outlineWidth);
  const r = el.getBoundingClientRect();
  return {
    kbd: el.dataset.kbd ?? null, tag: el.tagName.toLowerCase(), id: el.id,
    text: (el.textContent || el.name || '').trim().slice(0, 40),
    ring: width, contrast: width ? ratio(rgb(s.outlineColor).slice(0, 3), behind(el)) : 0,
    onscreen: r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 && r.left < innerWidth,
  };
}"""


def focused(page) -> dict | None:
    return page.evaluate(_FOCUS_JS)


def tab_from_top(page) -> dict | None:
    """Start from the top of the document (as after loading a page without autofocus), then press Tab once."""
    page.evaluate(
        """() => { const b = document.body; b.tabIndex = -1; b.focus(); b.removeAttribute('tabindex');
                   window.scrollTo(0, 0); }"""
    )
    page.keyboard.press("Tab")
    return focused(page)


def assert_skip_link_first(page) -> None:
    first = tab_from_top(page)
    assert (
        first is not None and first["tag"] == "a" and "skip" in page.evaluate("() => document.activeElement.className")
    ), f"the first Tab stop is {first}, not the skip link"
    assert first["onscreen"], "the skip link stays off screen when it has the focus"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "content", "the skip link does not move focus to main"
    # The next Tab continues inside main, past the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")


def assert_keyboard_reaches_every_control(page) -> list[str]:
    """Tab through the page once: every shown control is reached, in order, and each shows a focus ring."""
    controls = page.evaluate(_CONTROLS_JS)
    assert controls, "the page has no control at all"
    reached: list[str] = []
    state = tab_from_top(page)
    for _step in range(len(controls) + 5):
        if state is None or state["kbd"] is None or (reached and state["kbd"] == reached[0]):
            break
        assert state["ring"] >= 2, f"no visible focus ring on {state}"
        assert state["contrast"] >= 3, f"the focus ring of {state} contrasts less than 3:1"
        assert state["onscreen"], f"{state} has the focus but is off screen"
        reached.append(state["kbd"])
        page.keyboard.press("Tab")
        state = focused(page)
    expected = [c.split(" ", 1)[0] for c in controls]
    missing = [c for c in controls if c.split(" ", 1)[0] not in reached]
    assert not missing, f"not reachable with Tab: {missing}"
    assert reached == expected, f"the Tab order differs from the reading order: {reached} vs {expected}"
    return controls
