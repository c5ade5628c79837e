"""The customer chat page: answers shown as "answering…", then the sentences that passed the checks with
"checking…", then the final reply with [n] links to its citations (ui.chat_view); a citations panel, one
language per page (zh/en, Gradio's own words too), thumbs up/down, the replies a human colleague writes
from the hand-off queue (each its own bubble, signed by the role), and the avatar: it reads each answer aloud (lip
synced, through /api/speak), starting with the first sentence that passes the answer's checks while the
rest is still being generated, and, in hands-free mode, listens: speaking interrupts it (barge-in: the
audio stops and the answer being written is cancelled), the transcript is asked as the next question,
and the page reports the turn's stage timings."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import gradio as gr

from agent import Delta, Final, Speakable
from agent.answering.speakable import still_to_say
from agent.records.audit import TurnRecord
from agent.records.tables import TurnRole
from ui.auth import Identity, parse_owner
from ui.avatar import avatar_component
from ui.chat_sessions import LiveSession, NotYourSession, SessionNotFound
from ui.chat_view import DraftBubble, answer_message, staff_message
from ui.context import AppContext
from ui.web import LANGUAGE_COOKIE, citations_html, request_language, strings, text

LANGUAGES = {"中文": "zh", "English": "en"}
# Answers that may be written at once across all customers' pages. The LLM server queues generation
# itself; FAQ, calculator and hand-off replies must not wait behind someone else's answer.
CHAT_CONCURRENCY = 16
POLL_SECONDS = 5.0  # how often an open page looks for staff replies

# Browser-side glue to ui/static/avatar/avatar.js (Gradio runs these in the page, not on the server).
STOP_SPEAKING_JS = "() => { if (window.Avatar) { window.Avatar.stop(); window.Avatar.abortPending(); } }"
# ``spoken`` is JSON {key, sentences, done, session_id, turn_id}: the sentences to say so far.
SAY_JS = """(spoken, language, aloud) => {
  if (spoken && aloud && window.Avatar) { window.Avatar.sayParts(JSON.parse(spoken), language); }
}"""
# Hands-free: the avatar's microphone VAD; the customer starting to speak stops the avatar (barge-in, in
# avatar.js), the end of their turn is transcribed and submitted as if typed.
HANDS_FREE_JS = """() => {
  const A = window.Avatar;
  if (!A) { return; }
  // Barge-in: the answer being written is cancelled on the server too (its LLM stream is closed).
  const cancel = () => { const b = document.querySelector('#barge-in'); b && b.click(); };
  // Gradio ignores a synthetic Enter key, so the box's own submit button is pressed; and it ignores that
  // press while the cancelled answer is still closing (a busy server takes seconds), so the press is
  // repeated until the question is taken: the answer's first update empties the box. Presses while the
  // new question is pending are ignored too, so it is never asked twice.
  const submit = (question, tries, first) => {
    const box = document.querySelector('#question textarea');
    const send = document.querySelector('#question button.submit-button');
    if (!box || !send || box.value !== question || tries <= 0) { return; }
    send.click();
    if (first) { A.markQuestionSent(); }
    setTimeout(() => submit(question, tries - 1, false), 500);
  };
  A.toggleHandsFree(document.querySelector('#hands-free'), {onSpeechStart: cancel, onTranscript: (t) => {
    const box = document.querySelector('#question textarea');
    if (!box || !t.text) { return; }
    cancel();  // an answer still pending would make Gradio ignore the new question
    box.value = t.text;
    box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => submit(t.text, 240, true), 100);  // up to two minutes for the old answer to close
  }});
}"""

# The chosen language is kept for the next visit (and for Gradio's own words, which follow it on reload).
KEEP_LANGUAGE_JS = f"""(label) => {{
  const language = label === 'English' ? 'en' : 'zh';
  document.cookie = '{LANGUAGE_COOKIE}=' + language + '; path=/; max-age=31536000; samesite=lax';
  const url = new URL(location.href);
  url.searchParams.set('lang', language);
  history.replaceState(null, '', url);
}}"""

Message = dict[str, Any]


def _identity(request: gr.Request) -> Identity:
    identity = parse_owner(request.username if request else None)
    if identity is None:
        raise gr.Error("You are not logged in; reload the page.")
    return identity


def _staff_message(turn: TurnRecord, language: str) -> Message:
    return staff_message(turn.text, language)


def _header(language: str, ctx: AppContext) -> str:
    return f"## {ctx.settings.assistant_name} · {ctx.settings.institution}\n{text(language, 'intro')}"


def build_customer_page(ctx: AppContext) -> gr.Blocks:
    def session(session_id: str | None, identity: Identity) -> LiveSession:
        if session_id is None:
            return ctx.sessions.create(identity.owner, "web")
        try:
            return ctx.sessions.get(session_id, identity.owner)
        except (SessionNotFound, NotYourSession) as err:
            raise gr.Error(str(err)) from None

    def staff_turns(live: LiveSession, after: int) -> list[TurnRecord]:
        return [t for t in ctx.sessions.transcript(live) if t.role is TurnRole.STAFF and t.n > after]

    def respond(message: str, history: list[Message], session_id: str | None, turn_ids: dict[str, int],
                last_n: int, unfinished: int | None, language: str, request: gr.Request
                ) -> Iterator[tuple[Any, ...]]:
        message = (message or "").strip()
        if not message:
            yield history, "", gr.skip(), session_id, turn_ids, last_n, gr.skip(), gr.skip()
            return
        live = session(session_id, _identity(request))
        if unfinished is not None and unfinished < len(history):  # cancelled by barge-in: drop the draft
            history = [*history[:unfinished], {"role": "assistant", "content": text(language, "interrupted")},
                       *history[unfinished + 1:]]
        history = [*history, *(_staff_message(t, language) for t in staff_turns(live, last_n))]
        draft = DraftBubble(language)
        history += [{"role": "user", "content": message}, draft.message()]
        searching = f"<div class='citations'><em>{text(language, 'searching')}</em></div>"
        yield history, "", searching, live.id, turn_ids, last_n, "", len(history) - 1
        key = uuid.uuid4().hex[:12]
        said: list[str] = []

        def spoken(done: bool = False, turn_id: int | None = None) -> str:
            return json.dumps({"key": key, "sentences": said, "done": done, "session_id": live.id,
                               "turn_id": turn_id}, ensure_ascii=False)

        for event in ctx.sessions.stream(live, message):
            # A draft may still be withdrawn by the final checks: show only what passed them (ui.chat_view).
            if isinstance(event, Delta):
                if not draft.writing:
                    draft.writing = True
                    history[-1] = draft.message()
                    yield history, "", gr.skip(), live.id, turn_ids, last_n, gr.skip(), gr.skip()
            elif isinstance(event, Speakable):
                said.append(event.text)
                draft.checked.append(event.text)
                history[-1] = draft.message()
                yield history, "", gr.skip(), live.id, turn_ids, last_n, spoken(), gr.skip()
            elif isinstance(event, Final):
                reply = event.reply
                history[-1] = answer_message(reply, key)
                turn = event.turn
                if turn is not None:
                    turn_ids = {**turn_ids, str(len(history) - 1): turn.id}
                    last_n = turn.n
                said += still_to_say(reply, said)
                yield (history, "", citations_html(reply.citations, reply.refused, language, key), live.id,
                       turn_ids, last_n, spoken(True, turn.id if turn else None), None)

    def poll(history: list[Message], session_id: str | None, last_n: int, language: str,
             request: gr.Request) -> tuple[Any, int]:
        """A staff reply from the hand-off queue appears in the chat without the customer asking again."""
        if session_id is None:
            return gr.skip(), last_n
        live = session(session_id, _identity(request))
        new = staff_turns(live, last_n)
        if not new:
            return gr.skip(), last_n
        return [*history, *(_staff_message(t, language) for t in new)], max(t.n for t in new)

    def rate(data: gr.LikeData, session_id: str | None, turn_ids: dict[str, int], language: str,
             request: gr.Request) -> None:
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        turn_id = turn_ids.get(str(index))
        if session_id is None or turn_id is None:
            raise gr.Error("Only the digital employee's answers can be rated.")
        session(session_id, _identity(request))  # the owner check
        value = 0 if data.liked is None or data.liked == "" else (1 if data.liked else -1)
        ctx.audit.set_feedback(turn_id, value)
        gr.Info(text(language, "feedback_saved"), title=text(language, "info_title"))

    def switch(label: str) -> tuple[Any, ...]:
        language = LANGUAGES.get(label, "zh")
        return (language, _header(language, ctx), gr.update(placeholder=text(language, "placeholder")),
                f"### {text(language, 'citations')}\n{text(language, 'citations_hint')}",
                gr.Dataset(samples=[[e] for e in text(language, "examples")], label=text(language, "examples_label")),
                gr.update(label=text(language, "read_aloud")), gr.update(value=text(language, "hands_free")),
                gr.update(label=text(language, "chat_label")))

    def opened(request: gr.Request) -> Any:
        """The page opens in the language its address or the visitor's last choice names."""
        language = request_language(request, follow_browser=False)
        return next(label for label, code in LANGUAGES.items() if code == language)

    with gr.Blocks(title=f"{ctx.settings.assistant_name} · {ctx.settings.institution}") as page:
        language = gr.State("zh")
        session_id = gr.State(None)
        turn_ids = gr.State({})  # chat message index -> audit turn id, for feedback
        last_n = gr.State(0)  # the last audit turn number the page shows
        unfinished = gr.State(None)  # chat index of the answer being written (set until its final reply)
        with gr.Row():
            with gr.Column(scale=3):
                avatar_component(ctx.settings)  # elem_id "avatar"; keep it first
                with gr.Row():
                    aloud = gr.Checkbox(value=True, label=text("zh", "read_aloud"), elem_id="read-aloud")
                    hands_free = gr.Button(text("zh", "hands_free"), elem_id="hands-free", size="sm")
                spoken = gr.Textbox(visible="hidden", elem_id="spoken")  # what the avatar says (JSON)
                barge_in = gr.Button(visible="hidden", elem_id="barge-in")  # cancels the answer being written
                header = gr.Markdown(_header("zh", ctx), elem_id="header")
                # No share or copy-all buttons: they are for demos, not for a bank's customers. Each message
                # is its own bubble, so a colleague's reply is never drawn inside the bot's.
                chat = gr.Chatbot(label=text("zh", "chat_label"), height=460, elem_id="chat",
                                  feedback_options=("Like", "Dislike"), buttons=["copy"],
                                  group_consecutive_messages=False)
                box = gr.Textbox(placeholder=text("zh", "placeholder"), show_label=False, elem_id="question",
                                 submit_btn=True)
                examples = gr.Examples([[e] for e in text("zh", "examples")], inputs=box,
                                       label=text("zh", "examples_label"))
            with gr.Column(scale=2):
                picker = gr.Radio([v["language_name"] for v in strings().values()], value="中文",
                                  label="语言 / Language", elem_id="language")
                cites_title = gr.Markdown(f"### {text('zh', 'citations')}\n{text('zh', 'citations_hint')}")
                cites = gr.HTML(elem_id="citations")
        box.submit(None, js=STOP_SPEAKING_JS)
        answering = box.submit(respond, [box, chat, session_id, turn_ids, last_n, unfinished, language],
                               [chat, box, cites, session_id, turn_ids, last_n, spoken, unfinished],
                               concurrency_limit=CHAT_CONCURRENCY)
        # Closing the answer's generator closes the LLM's HTTP stream, and llama.cpp stops generating.
        barge_in.click(None, cancels=[answering])
        spoken.change(None, [spoken, language, aloud], None, js=SAY_JS)
        hands_free.click(None, js=HANDS_FREE_JS)
        chat.like(rate, [session_id, turn_ids, language], None)
        picker.change(switch, picker, [language, header, box, cites_title, examples.dataset, aloud, hands_free, chat])
        picker.input(None, picker, None, js=KEEP_LANGUAGE_JS)
        page.load(opened, None, picker)
        gr.Timer(POLL_SECONDS).tick(poll, [chat, session_id, last_n, language], [chat, last_n],
                                    show_progress="hidden")
    return page
