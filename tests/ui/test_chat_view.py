"""What the chat bubbles and the staff pages' navigation say, as the pages render them (no server)."""

from __future__ import annotations

import re

from agent import Intent, Reply
from agent.reply import Citation
from ui.chat_view import DraftBubble, answer_message, staff_message
from ui.users import Role
from ui.web import nav_html, request_language, text

CITATION = Citation(1, "c1", "d1", "海湾安享定期存款（整存整取）产品说明书", "三、存款利率", "3年 | 2.35%")


def _reply(text_: str, citations: tuple[Citation, ...] = (CITATION,)) -> Reply:
    return Reply(text=text_, citations=citations, refused=False, intent=Intent.QUESTION, language="zh")


def test_a_draft_says_answering_before_the_first_token_then_checking_with_only_checked_sentences():
    draft = DraftBubble("zh")
    assert "正在回答…" in draft.message()["content"]
    draft.writing = True  # tokens arrive: none has passed the checks yet, so none is shown
    assert re.sub(r"<[^>]+>", "", draft.message()["content"]) == "核对中…"
    draft.checked.append("三年期定期存款的年利率为2.35%。")
    shown = draft.message()["content"]
    assert "2.35%" in shown and "核对中…" in shown
    assert "Checking…" in DraftBubble("en", ["The rate is 2.35%."], True).message()["content"]


def test_each_marker_of_the_final_answer_links_to_its_citation_listed_under_it():
    content = answer_message(_reply("三年期定期存款的年利率为2.35%[1]。见[7]。"), "k1")["content"]
    assert "<a class='cite-ref' href='#cite-k1-1'>[1]</a>" in content
    assert "id='cite-k1-1'" in content and "三、存款利率" in content and "2.35%" in content
    assert "见[7]" in content, "a marker with no citation stays plain text"


def test_an_answer_without_citations_is_shown_as_it_is():
    assert answer_message(_reply("您好！", ()), "k")["content"] == "您好！"


def test_a_staff_reply_is_signed_by_the_role_in_the_page_language_and_escaped():
    zh, en = staff_message("已为您退回<b>200元</b>", "zh")["content"], staff_message("Refunded.", "en")["content"]
    assert "人工客服" in zh and "&lt;b&gt;" in zh and "Agent" in en


def test_the_nav_bar_links_only_the_pages_the_role_may_open():
    admin = nav_html("/knowledge", Role.ADMIN, "zh")
    assert all(f"href='{p}/?lang=zh'" in admin for p in ("/knowledge", "/handoff", "/trainer", "/evals"))
    assert "aria-current=page>知识库" in admin and "href='/logout'" in admin
    staff = nav_html("/handoff", Role.STAFF, "en")
    assert "Hand-off queue" in staff and "Virtual trainer" in staff
    assert "/knowledge/" not in staff and "/evals/" not in staff
    assert "href='/handoff/?lang=zh'" in staff, "the switch to the other language"
    qa = nav_html("/evals", Role.QA, "zh")
    assert "/evals/" in qa and "/handoff/" not in qa and "/trainer/" not in qa


class _Request:
    def __init__(self, query: dict[str, str], cookies: dict[str, str], accept: str) -> None:
        self.query_params, self.cookies, self.headers = query, cookies, {"accept-language": accept}


def test_a_page_speaks_the_language_asked_for_then_the_one_chosen_before_then_the_browsers():
    assert request_language(_Request({"lang": "en"}, {"de_lang": "zh"}, "zh-CN")) == "en"  # type: ignore[arg-type]
    assert request_language(_Request({}, {"de_lang": "en"}, "zh-CN")) == "en"  # type: ignore[arg-type]
    assert request_language(_Request({}, {}, "en-US,en;q=0.9")) == "en"  # type: ignore[arg-type]
    assert request_language(_Request({}, {}, "en-US"), follow_browser=False) == "zh"  # type: ignore[arg-type]
    assert request_language(_Request({"lang": "xx"}, {}, "")) == "zh"  # type: ignore[arg-type]


def test_every_string_exists_in_both_languages():
    for key in ("answering", "checking", "staff", "chat_label", "examples_label", "nav.logout", "trainer.roleplay",
                "evals.mode_retrieval", "evals.index_note"):
        assert text("zh", key) != text("en", key), key
