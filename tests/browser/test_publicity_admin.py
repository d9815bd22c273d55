"""The editorial workflow in Wagtail's admin, in a real browser: an editor writes an article in a column and submits
it for review (审核); a reviewer approves it; it appears in its column, its feed and the search of the public site."""

from __future__ import annotations

import re

from django.conf import settings
from django.test import Client

from dangjian.core.models import RoleKind
from dangjian.publicity import actions
from dangjian.publicity.models import ArticlePage
from tests.browser.a11y import assert_no_axe_violations
from tests.core.otp import login_verified
from tests.publicity.conftest import _empty_page_cache, site  # noqa: F401  (the public site's fixtures)

TITLE = "筠门岭镇召开农村党员冬训动员会"
BODY = "会议部署了今冬明春农村党员集中培训工作，要求各村党支部落实三会一课。"


def sign_in(browser, server: str, user) -> None:
    """The browser holds the session of a user who has passed both steps of the login (tested on their own in
    tests/browser/test_workbench.py)."""
    client = Client()
    login_verified(client, user)
    browser.clear_cookies()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    browser.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": server}])


def footer_action(page, selector: str) -> None:
    """Click an action of the editor's footer, opening its menu of further actions when it is there."""
    button = page.locator(f"footer {selector}")
    if not button.is_visible():
        page.locator("footer [data-w-dropdown-target='toggle']").first.click()
    button.click()


def test_an_editors_article_is_reviewed_in_the_admin_and_appears_on_the_public_site(
    page,
    browser,
    server,
    site,  # noqa: F811  (the fixture imported above)
    make_user,
):
    from wagtail.models import Collection

    if not Collection.get_first_root_node():  # a migration row an earlier transactional test emptied
        Collection.add_root(name="Root")
    tree = site["tree"]
    editor = make_user("editor", (RoleKind.EDITOR, tree["d1"]))
    reviewer = make_user("reviewer", (RoleKind.REVIEWER, tree["d1"]))
    actions.sync_editorial_groups(actor=None, root=site["home"])
    actions.ensure_column_workflow(actor=None, column=site["news"])
    column = site["news"]

    sign_in(browser, server, editor)
    page.goto(f"{server}/cms/pages/add/publicity/articlepage/{column.pk}/")
    page.locator("#id_title").fill(TITLE)
    body = page.locator("[data-contentpath='body'] [contenteditable='true']")
    body.click()
    body.press_sequentially(BODY)
    # Draftail writes the editor's content into the form's hidden field a moment after the last change.
    page.wait_for_function("t => document.querySelector('input[name=body]').value.includes(t)", arg="三会一课")
    footer_action(page, "button[name='action-submit']")
    page.wait_for_url(re.compile(rf"/cms/pages/{column.pk}/(\?.*)?$"))  # back to the column in the explorer
    article = ArticlePage.objects.get(title=TITLE)
    assert not article.live and article.current_workflow_state is not None
    assert article.current_workflow_state.requested_by_id == editor.pk
    assert Client().get(column.url).content.decode().count(TITLE) == 0

    sign_in(browser, server, reviewer)
    page.goto(f"{server}/cms/pages/{article.pk}/edit/")
    with page.expect_navigation():
        footer_action(page, "button[data-workflow-action-name='approve']:not([data-workflow-action-modal-url])")
    article.refresh_from_db()
    assert article.live and article.current_workflow_state is None

    browser.clear_cookies()
    page.goto(f"{server}{column.url}")
    page.get_by_role("link", name=TITLE).click()
    assert page.get_by_role("heading", level=1).inner_text() == TITLE
    assert BODY in page.locator(".rich-text").inner_text()
    assert_no_axe_violations(page, "the article the reviewer published")
    feed = page.request.get(f"{server}/publicity/feeds/{column.pk}/rss/")
    assert TITLE in feed.text()
    page.locator("#site-search").fill("党员冬训")
    page.locator("form.search button").click()
    assert page.locator(".search-results li").first.get_by_role("link").inner_text() == TITLE
