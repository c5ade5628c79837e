"""What a customer and a staff member see on the pages, in Chromium: the chat's answering and checking
states, citation links, a colleague's reply, one language per page, the staff pages' navigation.

The server here is the real one (real retrieval over the demo knowledge base, the real support check,
audit log and pages) with one stand-in at the boundary: a scripted LLM that writes slowly, so the states
between a question and its final reply last long enough to be seen.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from settings import Settings
from tests.serving import serving
from tests.ui.conftest import Account, _make_accounts
from tests.ui.test_browser import UI_TIMEOUT_MS, _ask, _shot, chromium, offline, playwright

__all__ = ["chromium", "offline", "playwright"]  # the fixtures, shared with test_browser.py

SUPPORTED = "三年期定期存款的年利率为2.35%[1]。"
WITHDRAWN = "三年期定期存款年利率为4.5%，保证收益[1]。"  # the support check refuses it at the end


class SlowScriptedLLM:
    """Writes a fixed answer per question, after a pause and a few characters at a time."""

    backend = "scripted"

    def __init__(self) -> None:
        self.calls = 0

    def stream(self, system: str, user: str) -> Iterator[str]:
        self.calls += 1
        question = user.strip().splitlines()[-1]  # the evidence above it names the documents
        text = WITHDRAWN if "直接告诉我" in question else SUPPORTED
        time.sleep(2.0)  # retrieval is done; the model has not written its first token yet
        for i in range(0, len(text), 3):
            time.sleep(0.4)
            yield text[i: i + 3]


@dataclass(frozen=True)
class Scripted:
    url: str
    settings: Settings
    accounts: dict[str, Account]
    llm: SlowScriptedLLM


@pytest.fixture(scope="module")
def scripted(settings, demo_answerer, tmp_path_factory) -> Iterator[Scripted]:  # type: ignore[no-untyped-def]
    from agent import Answerer
    from ui.server import create_app

    own = settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("pages")})
    llm = SlowScriptedLLM()
    answerer = Answerer(own, demo_answerer.retriever.kb, llm)  # type: ignore[arg-type]
    with serving(create_app(own, answerer)) as url:
        yield Scripted(url, own, _make_accounts(own), llm)


# Every text the chat showed, as it changed (a MutationObserver), so a test can say what never appeared.
RECORD_CHAT_JS = """() => {
  window.__chat = [];
  const chat = document.querySelector('#chat');
  new MutationObserver(() => window.__chat.push(chat.innerText)).observe(chat,
      {childList: true, subtree: true, characterData: true});
}"""


def _record_chat(page) -> None:  # type: ignore[no-untyped-def]
    """Gradio draws #chat after the question box: observe it only once it is there (CI raced it)."""
    page.wait_for_selector("#chat")
    page.evaluate(RECORD_CHAT_JS)


def _chat_states(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate("window.__chat")


def _wait_chat(page, needle: str, timeout: int = UI_TIMEOUT_MS) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(f"(document.querySelector('#chat')?.innerText ?? '').includes({needle!r})",
                           timeout=timeout)


def test_the_chat_says_answering_then_checking_and_never_shows_a_draft_the_check_withdraws(offline, scripted):
    page = offline.page()
    page.goto(scripted.url + "/")
    page.wait_for_selector("#question textarea")
    _record_chat(page)
    _ask(page, "三年期定期存款利率是多少？请直接告诉我。")
    _wait_chat(page, "正在回答…")
    _wait_chat(page, "核对中…")
    page.locator("#citations").get_by_text("没有引用").wait_for(timeout=UI_TIMEOUT_MS)
    states = _chat_states(page)
    assert scripted.llm.calls >= 1
    assert not any("4.5%" in s for s in states), "the withdrawn draft was shown as an answer"
    assert "核对中" not in page.locator("#chat").inner_text(), "the final reply replaces the checking state"


def test_a_checked_answer_replaces_checking_and_its_marker_opens_the_cited_passage(offline, scripted):
    page = offline.page()
    page.goto(scripted.url + "/")
    page.wait_for_selector("#question textarea")
    _record_chat(page)
    _ask(page, "三年期定期存款利率是多少？")
    _wait_chat(page, "核对中…")
    link = page.locator("#chat a.cite-ref").first
    link.wait_for(timeout=UI_TIMEOUT_MS)
    assert "2.35%" in page.locator("#chat").inner_text()
    assert not any("2.35%" in s and "核对中" not in s and "[1]" not in s for s in _chat_states(page)[:-1]), \
        "while checking, a sentence is shown only with the checking note"
    passage = page.locator("#chat details.citation blockquote.passage").first
    assert not passage.is_visible()
    link.click()
    assert passage.is_visible() and len(passage.inner_text()) > 10
    assert page.locator("#citations details.citation[open]").count() == 1, "the panel opens the same citation"
    _shot(page, "customer-citation-link")


def test_a_staff_reply_is_its_own_bubble_signed_by_the_role_not_the_login_name(offline, scripted):
    customer = offline.page()
    customer.goto(scripted.url + "/")
    _ask(customer, "我要投诉，信用卡卡号6222020200112233445被多扣了200元年费，请打13812345678联系我")
    _wait_chat(customer, "工单号")
    ticket = re.search(r"工单号\s*([0-9a-f]{8})", customer.locator("#chat").inner_text()).group(1)
    bot_bubbles = customer.locator("#chat .message.bot").count()

    from agent.records.audit import AuditLog, audit_url

    # the colleague's reply goes into the audit log, as the hand-off page writes it
    with AuditLog(audit_url(scripted.settings)) as audit:
        handoff = next(t for t in audit.handoffs() if t.id.startswith(ticket))
        audit.record_staff_turn(handoff.session_id, "您好，已为您登记，我们会在今天联系您。", "sam")
    _wait_chat(customer, "已为您登记", timeout=30_000)
    chat = customer.locator("#chat")
    assert customer.locator("#chat .message.bot").count() == bot_bubbles + 1, "a bubble of its own"
    staff = chat.locator(".staff-reply")
    assert "人工客服" in staff.inner_text() and "sam" not in chat.inner_text()
    assert chat.locator(".message.bot").last.locator(".staff-reply").count() == 1


def test_the_customer_chat_has_no_share_or_clear_buttons_and_gradio_speaks_the_page_language(offline, scripted):
    page = offline.page()  # the browser says en-US; the page is Chinese
    page.goto(scripted.url + "/")
    page.wait_for_selector("#question textarea")
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    page.get_by_text("常见问题").first.wait_for()  # drawn once Gradio has loaded (a busy box shows 加载中... first)
    body = page.locator("body").inner_text()
    assert "对话" in body and "常见问题" in body
    assert not re.search(r"\b(Chat|Examples)\b", body), body
    labels = page.eval_on_selector_all("#chat button", "bs => bs.map(b => b.getAttribute('aria-label') || b.title)")
    assert not [x for x in labels if x and re.search(r"share|clear|delete|分享|清除|删除", x, re.I)], labels
    english = offline.page()
    english.goto(scripted.url + "/?lang=en")
    english.wait_for_selector("#question textarea")
    english.wait_for_function("document.documentElement.lang === 'en'")
    english.wait_for_function("document.querySelector('#question textarea').placeholder === 'Type your question'")
    assert "Examples" in english.locator("body").inner_text()


def _log_in(page, scripted: Scripted, who: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{scripted.url}/login")
    page.fill("#name", who)
    page.fill("#password", scripted.accounts[who].password)
    page.click("#login")


@pytest.mark.parametrize(("who", "start", "links", "absent"), [
    ("ada", "/knowledge", ["Knowledge base", "Hand-off queue", "Virtual trainer", "Evals"], []),
    ("sam", "/handoff", ["Hand-off queue", "Virtual trainer"], ["Knowledge base", "Evals"]),
    ("quinn", "/evals", ["Evals"], ["Knowledge base", "Hand-off queue", "Virtual trainer"]),
])
def test_each_staff_page_links_the_pages_the_role_may_open(offline, scripted, who, start, links, absent):
    page = offline.page()  # an English browser: the staff pages open in English
    _log_in(page, scripted, who)
    page.wait_for_url(f"{scripted.url}{start}/", wait_until="domcontentloaded")  # the login lands on the role's page
    nav = page.locator("#staff-nav nav")
    nav.get_by_text("Log out").wait_for()
    shown = nav.inner_text()
    assert all(x in shown for x in links) and not any(x in shown for x in absent), shown
    if who == "sam":
        nav.get_by_text("Virtual trainer").click()
        page.wait_for_url(re.compile(r"/trainer/\?lang=en$"))
        page.locator("#staff-nav nav").get_by_text("中文").click()  # the whole page changes language
        page.locator("#staff-nav nav").get_by_text("退出登录").wait_for()
        page.get_by_role("tab", name="角色扮演").wait_for()
        page.wait_for_function("document.documentElement.lang === 'zh-CN'")


def test_role_play_shows_the_customer_on_the_left_and_the_trainee_on_the_right(offline, scripted):
    page = offline.page()
    _log_in(page, scripted, "sam")
    page.wait_for_url(f"{scripted.url}/handoff/", wait_until="domcontentloaded")
    page.goto(f"{scripted.url}/trainer/")
    page.get_by_role("tab", name="Role-play").click()
    chat = page.locator("#roleplay-chat")
    chat.get_by_text("Customer (left) · You (right)").wait_for()
    page.click("#roleplay-start")
    opening = chat.locator(".message-row.bot-row").first
    opening.wait_for()
    assert chat.locator(".message-row.user-row").count() == 0, "the customer speaks first, on the left"
    page.fill("#staff-reply textarea", "您好，犹豫期内退保可以全额退还保费。")
    page.click("#roleplay-send")
    mine = chat.locator(".message-row.user-row").first
    mine.wait_for(timeout=UI_TIMEOUT_MS * 3)
    assert "全额退还保费" in mine.inner_text()
    assert mine.bounding_box()["x"] > opening.bounding_box()["x"], "the trainee's reply is on the right"
    page.locator("#rubric").get_by_text("/100").wait_for(timeout=UI_TIMEOUT_MS * 3)
    assert not re.search(r"[{}]", page.locator("#rubric").inner_text())


def test_the_evals_page_opens_on_the_demo_suite_and_says_what_a_retrieval_run_does(offline, scripted):
    page = offline.page()
    _log_in(page, scripted, "quinn")
    page.wait_for_url(f"{scripted.url}/evals/", wait_until="domcontentloaded")
    about = page.locator("#suite-about")
    about.get_by_text("builds its own index").wait_for()
    assert page.locator("#suite input").input_value().startswith("demo")
    assert "no answer is generated" in about.inner_text()
    assert "answered end to end by the LLM" not in about.inner_text()
    page.locator("#retrieval-only input").uncheck()
    about.get_by_text("the LLM answers each case").wait_for()
    _shot(page, "evals-page")


# Every word is in place once the page is relabelled: the table's headers, and the intro, which follows later.
ALL_WORDS_JS = """([shown, other]) => {
  const t = document.body.innerText;
  return shown.every((x) => t.includes(x)) && !other.some((x) => t.includes(x));
}"""


@pytest.mark.parametrize(("path", "chinese", "english"), [
    ("/knowledge", ["上传产品文件和监管规定", "上传为草稿", "审核草稿", "检索测试", "撤回发布（客户不再可见）",
                    "来源文件"],
     ["Upload product documents", "Upload as drafts", "Review", "Hit-test", "Withdraw from customers", "uploaded by"]),
    ("/handoff", ["您的回复会出现在客户的对话中", "回复客户", "发送回复", "关闭工单", "查看回拨号码（记入审计日志）",
                  "处理人"],
     ["Your reply appears in the customer's chat", "Reply to the customer", "Send reply", "Close ticket",
      "Reveal (recorded)", "assignee"]),
])
def test_the_knowledge_and_handoff_pages_speak_the_chosen_language(offline, scripted, path, chinese, english):
    page = offline.page()
    _log_in(page, scripted, "ada")
    page.wait_for_url(f"{scripted.url}/knowledge/", wait_until="domcontentloaded")
    for language, shown, other in (("zh", chinese, english), ("en", english, chinese)):
        page.goto(f"{scripted.url}{path}/?lang={language}")
        page.get_by_text(shown[1]).first.wait_for()
        try:
            page.wait_for_function(ALL_WORDS_JS, arg=[shown, other])
        finally:
            body = page.locator("body").inner_text()
            assert all(x in body for x in shown) and not any(x in body for x in other), (language, body)
