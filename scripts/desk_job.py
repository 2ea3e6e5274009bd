#!/usr/bin/env python
"""The editor's desk job in a real browser, counted: a new article by a new outlet,
citing an agency, citing a ministry; a new claim from one of its sentences with its
three-hop chain; published.

    scripts/desk_job.py --url http://127.0.0.1:8000 --username editor --password P \\
        [--agency Reuters] [--ministry "Ministry of Defence of Azerbaijan"] \\
        [--publisher-popup] [--screenshots DIR]

Headless Chromium (/usr/bin/chromium, or --chromium) logs in, then does the job the
way an editor would: the document's add form (the new outlet named in it, or with
--publisher-popup added through the "+" popup), "Save and add a claim from it", a
click on the sentence, the two upstream hops chosen (the agency and the ministry must
exist: they are the seed's), the review, one Save, and the publishing checklist's
confirmation when there is one. It prints what it took as one JSON line:

- ``page_loads``: every document loaded in any window after the login, popups and
  the pages a POST lands on included (``loads`` lists them);
- ``clicks``: presses of the mouse (choosing from a list is two: open it, pick);
- ``typed_fields``: fields typed into (an autocomplete's search is one).

The exit status is 1 if the job did not end with the claim published and its chain
recorded. The tests run it against their live server (tests/test_browser_desk.py).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Browser, Page, Response, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

SENTENCE = (
    "Azerbaijan and Turkey will hold joint naval drills in the Caspian Sea next month, "
    "Reuters reported, citing Azerbaijan's defence ministry."
)
BODY = f"""{SENTENCE}

The drills will involve patrol boats and helicopters, the agency said. Both countries have held
land and air exercises together several times in the past year.

Neither government has said how many troops will take part."""


@dataclass
class Tally:
    """What the editor did, counted as they did it."""

    loads: list[str] = field(default_factory=list)
    clicks: int = 0
    typed: list[str] = field(default_factory=list)

    def heard(self, response: Response) -> None:
        """One load per document a window is given: a navigation's answer that is not a
        redirect (a POST and the page its redirect leads to are one), popups included,
        even one that closes itself as soon as it has loaded."""
        request = response.request
        if not request.is_navigation_request() or response.status >= 300:
            return
        try:
            framed = request.frame.parent_frame is not None
        except PlaywrightError:  # a new window's first page comes before its frame
            framed = False
        if not framed:
            self.loads.append(f"{request.method} {_path(request.url)}")

    def start(self, page: Page) -> None:
        """Count from here: the loads so far (the login's) are heard, then dropped."""
        page.wait_for_load_state("load")
        page.evaluate("1")  # a round trip: the events of what has loaded are in
        self.loads.clear()


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


class Desk:
    """The editor's hands: each action counted in ``tally``."""

    def __init__(self, page: Page, tally: Tally) -> None:
        self.page, self.tally = page, tally

    def click(self, selector: str) -> None:
        self.page.click(selector)
        self.tally.clicks += 1

    def type(self, selector: str, text: str, what: str) -> None:
        self.page.click(selector)
        self.page.fill(selector, text)
        self.tally.clicks += 1
        self.tally.typed.append(what)

    def pick(self, selector: str, value: str) -> None:
        """A choice from a plain select: open it, pick."""
        self.page.select_option(selector, value)
        self.tally.clicks += 2

    def autocomplete(self, select_id: str, typed: str, option: str, what: str) -> None:
        """A choice from one of the admin's autocompletes: open it, type, pick."""
        self.page.locator(f"#{select_id} + .select2 .select2-selection").click()
        # Opened, the list shows its first page unfiltered: wait for the typed search's answer.
        with self.page.expect_response(lambda response: _searched_for(response.url, typed)):
            self.page.locator(".select2-container--open .select2-search__field").fill(typed)
        self.page.locator(".select2-results__option", has_text=option).first.click()
        self.tally.clicks += 2
        self.tally.typed.append(what)


def _searched_for(url: str, typed: str) -> bool:
    parts = urlsplit(url)
    return parts.path.endswith("/autocomplete/") and parse_qs(parts.query).get("term") == [typed]


def run_job(
    browser: Browser,
    base_url: str,
    username: str,
    password: str,
    *,
    agency: str = "Reuters",
    ministry: str = "Ministry of Defence of Azerbaijan",
    publisher_popup: bool = False,
    screenshots: Path | None = None,
) -> dict:
    """Do the job once; return what it took and what it made."""
    stamp = f"{time.time_ns():x}"[-8:]
    outlet = f"Caspian Courier {stamp}"
    title = f"Azerbaijan and Turkey to hold naval drills in the Caspian ({stamp})"
    tally = Tally()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    context.on("response", tally.heard)
    page = context.new_page()
    desk = Desk(page, tally)

    def shot(name: str) -> None:
        if screenshots is not None:
            prefix = "desk_job_popup" if publisher_popup else "desk_job"
            page.screenshot(path=str(screenshots / f"{prefix}_{name}.png"), full_page=True)

    # Logged in first (not counted: the job starts at the desk).
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()
    tally.start(page)

    # 1. The new document, its publisher new too.
    page.goto(f"{base_url}/admin/sources/document/add/")
    desk.type("#id_title", title, "document title")
    desk.type("#id_url", f"https://caspian-courier.example/{stamp}/naval-drills", "document URL")
    desk.type("#id_body", BODY, "document body (pasted)")
    if publisher_popup:
        with page.expect_popup() as opened:
            desk.click("#add_id_publisher")
        popup = opened.value
        popup.wait_for_load_state()
        Desk(popup, tally).type("#id_name", outlet, "new outlet's name (popup)")
        with popup.expect_event("close"):
            Desk(popup, tally).click("input[name=_save]")
        expect(page.locator("#id_publisher option:checked")).to_have_text(outlet)
    else:
        desk.type("#id_new_publisher", outlet, "new outlet's name")
    shot("1_document")
    desk.click("input[name=_addclaim]")

    # 2. The claim from its sentence; the chain starts at the publisher.
    expect(page.locator("#document-sentences")).to_be_visible()
    desk.click(f"#document-sentences a.sentence:text-is({json.dumps(SENTENCE)})")
    expect(page.locator("#id_chain-quote")).to_have_value(SENTENCE)
    desk.pick("#id_hop-0-relation", "citing")
    desk.type("#id_hop-0-quote", "Reuters reported", "hop 1 quote")
    desk.autocomplete("id_hop-1-source", agency, agency, "hop 2 source search")
    desk.pick("#id_hop-1-relation", "citing")
    desk.type("#id_hop-1-quote", "citing Azerbaijan's defence ministry", "hop 2 quote")
    desk.autocomplete("id_hop-2-source", "defence ministry", ministry, "hop 3 source search")
    desk.pick("#id_status", "published")
    desk.pick("#id_rating", "unproven")
    desk.type("#id_rating_explanation", "Announced by the ministry; not yet seen to happen.", "rating explanation")
    shot("2_claim_form")
    desk.click("#chain_form input[type=submit]")

    # 3. The publishing checklist, when publishing asks for a confirmation.
    page.wait_for_load_state()
    if page.locator("#publish-confirmation").count():
        shot("3_checklist")
        desk.click("#publish-confirm")

    try:
        expect(page.locator(".messagelist")).to_contain_text("Chain recorded")
    except AssertionError:
        shot("failed")
        raise
    shot("4_claim_page")
    claim_path = _path(page.url).split("#")[0]
    status = page.locator("#id_status option:checked").text_content() or ""
    context.close()
    return {
        "page_loads": len(tally.loads),
        "clicks": tally.clicks,
        "typed_fields": len(tally.typed),
        "loads": tally.loads,
        "typed": tally.typed,
        "publisher": "popup" if publisher_popup else "named on the document form",
        "claim": claim_path,
        "status": status.strip(),
        "outlet": outlet,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the running server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--agency", default="Reuters", help="an existing source: the agency the outlet cites")
    parser.add_argument("--ministry", default="Ministry of Defence of Azerbaijan", help="an existing source")
    parser.add_argument("--publisher-popup", action="store_true", help='add the new outlet through the "+" popup')
    parser.add_argument("--screenshots", type=Path, help="a folder for a screenshot of each step")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            report = run_job(
                browser,
                args.url.rstrip("/"),
                args.username,
                args.password,
                agency=args.agency,
                ministry=args.ministry,
                publisher_popup=args.publisher_popup,
                screenshots=args.screenshots,
            )
        finally:
            browser.close()
    print(json.dumps(report))
    return 0 if report["status"] == "Published" else 1


if __name__ == "__main__":
    sys.exit(main())
