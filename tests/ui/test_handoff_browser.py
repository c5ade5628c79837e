"""The hand-off page in Chromium: staff see a complaint's card and phone number masked to their last
digits, and reveal the call-back number on request, each reveal recorded under their name."""

from __future__ import annotations

import re

from tests.ui.test_browser import _ask, _login, _shot, chromium, offline, playwright  # noqa: F401 (fixtures)

COMPLAINT = "我要投诉，卡号是6222 0212 3456 7890，昨天被重复扣了年费，请打13800012345联系我"


def test_staff_see_masked_numbers_and_reveal_the_call_back_number_which_is_recorded(offline, server_url,  # noqa: F811
                                                                                     accounts, settings):
    from agent.records.audit import REVEAL_ACTION, open_audit_log

    customer = offline.page()
    customer.goto(server_url + "/")
    _ask(customer, COMPLAINT)
    customer.locator("#chat").get_by_text("工单号").wait_for()
    ticket = re.search(r"工单号\s*([0-9a-f]{8})", customer.locator("#chat").inner_text()).group(1)

    staff = offline.page()
    _login(staff, server_url, accounts["sam"], "/handoff/")
    staff.wait_for_function(f"(document.querySelector('#tickets')?.innerText ?? '').includes('{ticket}')")
    staff.locator("#ticket-choice input").click()
    staff.get_by_role("option", name=re.compile(ticket)).click()
    transcript = staff.locator("#ticket-transcript")
    transcript.get_by_text("尾号2345", exact=False).first.wait_for()
    shown = staff.locator("body").inner_text()
    assert "[银行卡号 尾号7890]" in shown and "[电话 尾号2345]" in shown
    assert "13800012345" not in shown and "3456 7890" not in shown

    staff.locator("#sealed-slot input").click()
    staff.get_by_role("option", name="contact").click()
    staff.click("#reveal-slot")
    staff.locator("#revealed").get_by_text("13800012345").wait_for()
    _shot(staff, "handoff-reveal")
    with open_audit_log(settings) as audit:
        reveals = [e for e in audit.events(action_prefix=REVEAL_ACTION) if e.subject.startswith(f"handoff:{ticket}")]
    assert [(e.actor, e.detail["slot"]) for e in reveals] == [("sam", "contact")]
