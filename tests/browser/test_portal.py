"""The public portal in a real browser: Chinese by default, the four supermarkets, WCAG 2.1 AA, keyboard use,
关怀版 and the mobile layout."""

from __future__ import annotations

import os
from pathlib import Path

from tests.browser.a11y import (
    assert_keyboard_reaches_every_control,
    assert_no_axe_violations,
    assert_skip_link_first,
    screenshot,
)
from tests.browser.fixtures import PROJECT_DIR

MARKETS_ZH = ["网络监督超市", "网络教育超市", "网络服务超市", "网络宣传超市"]
README_SCREENSHOT = PROJECT_DIR / "docs" / "screenshot-home.png"
MOBILE = {"width": 375, "height": 812}


def open_home(page, server: str) -> None:
    response = page.goto(f"{server}/")
    assert response is not None and response.status == 200


def assert_no_sideways_scrolling(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


def test_home_page_shows_the_four_supermarkets_in_chinese(page, server, artifacts):
    open_home(page, server)
    assert page.evaluate("() => document.documentElement.lang") == "zh-Hans"
    assert page.get_by_role("heading", level=1).inner_text() == "会昌县党建超市群"
    cards = page.locator(".market-grid > li")
    assert cards.count() == 4
    for market, name in zip(cards.all(), MARKETS_ZH, strict=True):
        heading = market.get_by_role("heading", level=3)
        assert heading.inner_text().strip().endswith(name)
        assert heading.is_visible()
    for name in MARKETS_ZH:
        assert page.get_by_role("navigation", name="四大超市").get_by_role("link", name=name).is_visible()
    assert page.get_by_role("search").get_by_role("searchbox", name="站内搜索").is_visible()
    assert_no_axe_violations(page, "the home page")
    screenshot(page, artifacts / "home.png")
    save_readme_screenshot(page, artifacts)


def save_readme_screenshot(page, artifacts: Path) -> None:
    """docs/screenshot-home.png (1280x800, the README's picture) is written when missing or when
    DANGJIAN_UPDATE_SCREENSHOTS=1; otherwise only test-artifacts/ is, so a test run does not dirty the tree
    with a picture that differs only in a machine's font rendering."""
    viewport = artifacts / "home-viewport.png"
    screenshot(page, viewport, full_page=False)
    if os.environ.get("DANGJIAN_UPDATE_SCREENSHOTS") == "1" or not README_SCREENSHOT.exists():
        README_SCREENSHOT.write_bytes(viewport.read_bytes())


def test_a_supermarket_card_routes_into_its_supermarket(page, server):
    open_home(page, server)
    page.locator(".market-grid").get_by_role("link", name="网络监督超市").click()
    page.wait_for_url(f"{server}/m/supervision/")
    assert page.get_by_role("heading", level=1).inner_text() == "网络监督超市"
    assert page.get_by_role("navigation", name="当前位置").is_visible()
    assert_no_axe_violations(page, "the supervision supermarket page /m/supervision/")
    assert_keyboard_reaches_every_control(page)


def test_care_mode_is_switched_on_by_its_button_and_passes_axe(page, server, artifacts):
    open_home(page, server)
    standard_size = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    page.get_by_role("button", name="关怀版（大字）").click()
    page.wait_for_load_state()
    assert page.evaluate("() => document.body.classList.contains('care')")
    care_size = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert care_size >= standard_size * 1.25, f"关怀版 text is {care_size}px against {standard_size}px"
    switch_back = page.get_by_role("button", name="标准版")
    assert switch_back.get_attribute("aria-pressed") == "true"
    assert_no_axe_violations(page, "the home page in 关怀版")
    assert_keyboard_reaches_every_control(page)
    screenshot(page, artifacts / "home-care.png")
    switch_back.click()
    page.wait_for_load_state()
    assert not page.evaluate("() => document.body.classList.contains('care')")


def test_home_page_on_a_phone_fits_the_screen_and_passes_axe(page, server, artifacts):
    page.set_viewport_size(MOBILE)
    open_home(page, server)
    assert_no_sideways_scrolling(page)
    # The cards stack in one column on a phone.
    lefts = page.locator(".market-grid > li").evaluate_all("els => els.map(e => e.getBoundingClientRect().left)")
    assert len(set(lefts)) == 1, f"cards are not stacked: {lefts}"
    assert_no_axe_violations(page, "the home page at 375px")
    assert_keyboard_reaches_every_control(page)
    screenshot(page, artifacts / "home-mobile.png")


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, server):
    open_home(page, server)
    assert_skip_link_first(page)


def test_every_control_on_the_home_page_is_reachable_by_keyboard_with_a_visible_focus(page, server):
    open_home(page, server)
    controls = assert_keyboard_reaches_every_control(page)
    assert len(controls) >= 10  # header, search, tools, the four supermarkets, footer


def test_login_page_passes_axe(page, server, artifacts):
    response = page.goto(f"{server}/accounts/login/")
    assert response is not None and response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "登录"
    assert_no_axe_violations(page, "the login page")
    assert_skip_link_first(page)
    assert_keyboard_reaches_every_control(page)
    screenshot(page, artifacts / "login.png")
