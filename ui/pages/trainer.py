"""The trainer page (Gradio): lessons, quizzes, role-play and progress. Thin: every decision is made in
agent.trainer; this module only lays out inputs and shows results.

One avatar serves every tab: the trainer persona reads a lesson's key points aloud, and in role-play it
speaks the customer's lines; the trainee may answer by voice (hands-free, like the customer page).

The web server mounts it at /trainer for staff and admins (``ui.server.builtin_pages``).
"""

from __future__ import annotations

import html
import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

import gradio as gr

from agent.trainer.grading import grade_open_answer
from agent.trainer.lesson import Lesson
from agent.trainer.materials import UnknownTopicError, topics
from agent.trainer.progress import attempts_csv, progress_html, summarize
from agent.trainer.quiz import Quiz, grade_choice
from agent.trainer.roleplay import RolePlay, personas
from agent.trainer.store import LessonStatus, UnknownLessonError
from agent.trainer.trainer import Trainer
from settings import Settings
from ui.avatar import avatar_component
from ui.context import AppContext

PROGRESS_COLUMNS = ["trainee", "attempts", "mean score", "weak topics", "last activity (UTC)"]
SAY_ZH_JS = "(t) => { if (t && window.Avatar) { window.Avatar.say(t, 'zh').catch(() => {}); } }"
# The customer's line comes with a fresh id ({"id", "text"}): the small model sometimes repeats a line word
# for word, and an unchanged value would not fire the change that makes the avatar say it.
SAY_LINE_JS = "(p) => { if (p && window.Avatar) { window.Avatar.say(JSON.parse(p).text, 'zh').catch(() => {}); } }"
# The trainee's spoken reply is transcribed into the reply box and sent; speaking stops the avatar.
REPLY_BY_VOICE_JS = """() => {
  const A = window.Avatar;
  if (!A) { return; }
  A.toggleHandsFree(document.querySelector('#reply-by-voice'), {onTranscript: (t) => {
    const box = document.querySelector('#staff-reply textarea');
    if (!box || !t.text) { return; }
    box.value = t.text;
    box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => { const send = document.querySelector('#roleplay-send'); send && send.click(); }, 100);
  }});
}"""


def _trainee(name: str, request: gr.Request | None) -> str:
    """The logged-in user's name when the server has one, else what the trainee typed."""
    owner = getattr(request, "username", None) if request else None
    if owner and ":" in owner and not owner.startswith("guest:"):
        return owner.split(":", 1)[1].partition("|")[0]
    if not (name or "").strip():
        raise gr.Error("Type your name first (it keys your progress).")
    return name.strip()


def _line(text: str) -> str:
    return json.dumps({"id": uuid.uuid4().hex, "text": text}, ensure_ascii=False)


def _question_md(quiz: Quiz, i: int) -> str:
    item = quiz.items[i]
    options = "\n".join(f"- **{letter}.** {text}" for letter, text in zip("ABCD", item.options, strict=False))
    kind = "单选题 multiple choice" if item.kind == "mcq" else "简答题 open question"
    return f"**{i + 1}/{len(quiz.items)} · {kind}**\n\n{item.question}\n\n{options}"


def build_trainer_page(settings: Settings, trainer: Trainer | None = None) -> gr.Blocks:
    trainer = trainer or Trainer(settings)

    def topic_choices() -> list[str]:
        return topics(trainer.kb)

    def make_lesson(topic: str, refresh: bool) -> tuple[str, dict[str, Any], str]:
        try:
            lesson = trainer.lesson(topic, refresh=refresh)
        except UnknownTopicError as err:
            raise gr.Error(str(err)) from None
        note = f"\n\n*{len(lesson.points)} points kept, {len(lesson.dropped)} dropped as unsupported.*"
        spoken = "".join(p.text.rstrip("。") + "。" for p in lesson.points if p.category == "key_point")
        return lesson.markdown() + note, lesson.to_dict(), spoken

    def save_lesson(lesson: dict[str, Any] | None, name: str, request: gr.Request) -> tuple[str, list[list[Any]]]:
        if not lesson:
            raise gr.Error("Generate a lesson first.")
        lesson_id = trainer.save_draft(Lesson.from_dict(lesson), _trainee(name, request))
        return f"Saved as draft lesson {lesson_id}.", lesson_rows()

    def lesson_rows() -> list[list[Any]]:
        return [[r.id, r.topic, r.status.value, len(r.content.get("points", [])), r.author or "",
                 f"{r.updated_at:%Y-%m-%d %H:%M}"] for r in trainer.store.lessons()]

    def publish(lesson_id: float | None) -> tuple[str, list[list[Any]]]:
        if lesson_id is None:
            raise gr.Error("Give the id of the lesson to publish.")
        try:
            record = trainer.store.publish_lesson(int(lesson_id))
        except UnknownLessonError as err:
            raise gr.Error(str(err)) from None
        return f"Lesson {record.id} is {LessonStatus.PUBLISHED.value}.", lesson_rows()

    def start_quiz(topic: str, n: float) -> tuple[str, Any, int, str]:
        try:
            quiz = trainer.quiz(topic, int(n))
        except (UnknownTopicError, ValueError) as err:
            raise gr.Error(str(err)) from None
        if not quiz.items:
            raise gr.Error(f"None of the {quiz.generated} drafted questions had a key its clause supports; "
                           "try again or another topic.")
        note = f"{len(quiz.items)} of {quiz.generated} drafted questions kept (discarded: {quiz.discarded or 'none'})"
        return _question_md(quiz, 0), quiz, 0, note

    def answer_quiz(quiz: Quiz | None, i: int, reply: str, name: str, request: gr.Request
                    ) -> tuple[str, str, int, str]:
        if quiz is None or i >= len(quiz.items):
            raise gr.Error("Start a quiz first.")
        item = quiz.items[i]
        if item.kind == "mcq":
            correct, feedback = grade_choice(item, reply)
            score = float(correct)
        else:
            grade = grade_open_answer(reply, item.answer, item.clause, settings.trainer_pass_coverage)
            score, feedback = grade.coverage, grade.feedback
        trainer.store.record_attempt(_trainee(name, request), "quiz" if item.kind == "mcq" else "open",
                                     quiz.topic, score, item.question, {"reply": reply, "key": item.answer})
        following = _question_md(quiz, i + 1) if i + 1 < len(quiz.items) else "**Quiz finished.**"
        return feedback, following, i + 1, ""

    def start_roleplay(persona_id: str) -> tuple[list[dict[str, str]], RolePlay, str, str]:
        session = trainer.roleplay(persona_id)
        opening = session.opening()
        return [{"role": "user", "content": opening}], session, "", _line(opening)

    def roleplay_turn(session: RolePlay | None, reply: str, chat: list[dict[str, str]], name: str,
                      request: gr.Request) -> tuple[list[dict[str, str]], str, str, str]:
        if session is None:
            raise gr.Error("Pick a persona and start first.")
        if not (reply or "").strip():
            raise gr.Error("Type what you would say to the customer.")
        score, customer = session.respond(reply)
        trainer.store.record_attempt(_trainee(name, request), "roleplay", session.persona.id, score.total / 100,
                                     reply.strip(), score.to_dict())
        rows = "".join(f"<tr><td>{html.escape(c.title)}</td><td>{c.score:.0%}</td>"
                       f"<td>{html.escape(c.feedback)}</td></tr>" for c in score.criteria)
        report = f"<h3>{score.total:.0f}/100</h3><table>{rows}</table>"
        chat = [*chat, {"role": "assistant", "content": reply.strip()}, {"role": "user", "content": customer}]
        return chat, report, "", _line(customer)

    def progress(trainee: str) -> tuple[list[list[Any]], str, list[str]]:
        attempts = trainer.store.attempts(trainee.strip() or None)
        rows = [[p.trainee, p.attempts, f"{p.mean:.0%}", ", ".join(p.weak_topics), p.last_activity]
                for p in summarize(attempts)]
        folder = Path(tempfile.mkdtemp(prefix="trainer-progress-"))
        (folder / "progress.csv").write_text(attempts_csv(attempts), encoding="utf-8")
        (folder / "progress.html").write_text(progress_html(attempts), encoding="utf-8")
        return rows, f"{len(attempts)} attempts", [str(folder / "progress.csv"), str(folder / "progress.html")]

    with gr.Blocks(title="Virtual trainer") as page:
        gr.Markdown("## 虚拟培训师 Virtual trainer\nLessons, quizzes and role-play built from the knowledge base; "
                    "every key and every piece of feedback cites its clause.")
        name = gr.Textbox(label="Trainee (your name; ignored when you are logged in)", max_lines=1)
        # The trainer persona presents lessons aloud and plays the customer in role-play (lip-synced).
        avatar_component(settings.model_copy(update={"avatar_name": settings.trainer_name,
                                                     "avatar_greeting": settings.trainer_greeting}))
        with gr.Tab("Lessons"):
            lesson_spoken = gr.Textbox(visible="hidden", elem_id="lesson-spoken")
            with gr.Row():
                lesson_topic = gr.Dropdown(label="Product or document", choices=[], allow_custom_value=True)
                refresh = gr.Checkbox(label="Draft again (ignore the cache)")
            make = gr.Button("Generate lesson", variant="primary")
            lesson_md = gr.Markdown()
            lesson_state = gr.State(None)
            with gr.Row():
                save = gr.Button("Save as draft")
                publish_id = gr.Number(label="Lesson id", precision=0)
                publish_btn = gr.Button("Publish")
            lesson_note = gr.Markdown()
            lessons_table = gr.Dataframe(headers=["id", "topic", "status", "points", "author", "updated"],
                                         interactive=False)
        with gr.Tab("Quiz"):
            with gr.Row():
                quiz_topic = gr.Dropdown(label="Product or document", choices=[], allow_custom_value=True)
                quiz_n = gr.Slider(1, 10, value=4, step=1, label="Questions to draft")
            start = gr.Button("Start quiz", variant="primary")
            quiz_note = gr.Markdown()
            question = gr.Markdown()
            quiz_answer = gr.Textbox(label="Your answer (a letter, or a sentence for open questions)")
            submit = gr.Button("Answer")
            quiz_feedback = gr.Markdown()
            quiz_state, index = gr.State(None), gr.State(0)
        with gr.Tab("Role-play"):
            persona_id = gr.Dropdown(label="Customer", choices=[(p.name, p.id) for p in personas().values()],
                                     value="cooling-off-cancel")
            begin = gr.Button("Start", variant="primary")
            chat = gr.Chatbot(label="客户 (left) · 你 (right)", height=360, elem_id="roleplay-chat")
            customer_spoken = gr.Textbox(visible="hidden", elem_id="customer-spoken")  # the avatar says it
            staff_reply = gr.Textbox(label="Your reply to the customer", elem_id="staff-reply")
            with gr.Row():
                send = gr.Button("Send", elem_id="roleplay-send")
                by_voice = gr.Button("Reply by voice (on/off)", elem_id="reply-by-voice")
            rubric = gr.HTML()
            session_state = gr.State(None)
        with gr.Tab("Progress"):
            who = gr.Textbox(label="Trainee (empty: everyone)", max_lines=1)
            show = gr.Button("Show")
            progress_table = gr.Dataframe(headers=PROGRESS_COLUMNS, interactive=False)
            progress_note = gr.Markdown()
            exports = gr.File(label="Exports (CSV, HTML)", file_count="multiple")

        def load_choices() -> tuple[Any, Any, list[list[Any]]]:
            choices = topic_choices()
            return gr.update(choices=choices), gr.update(choices=choices), lesson_rows()

        page.load(load_choices, None, [lesson_topic, quiz_topic, lessons_table])
        make.click(make_lesson, [lesson_topic, refresh], [lesson_md, lesson_state, lesson_spoken])
        lesson_spoken.change(None, lesson_spoken, None, js=SAY_ZH_JS)
        save.click(save_lesson, [lesson_state, name], [lesson_note, lessons_table])
        publish_btn.click(publish, [publish_id], [lesson_note, lessons_table])
        start.click(start_quiz, [quiz_topic, quiz_n], [question, quiz_state, index, quiz_note])
        submit.click(answer_quiz, [quiz_state, index, quiz_answer, name],
                     [quiz_feedback, question, index, quiz_answer])
        begin.click(start_roleplay, [persona_id], [chat, session_state, rubric, customer_spoken])
        send.click(roleplay_turn, [session_state, staff_reply, chat, name],
                   [chat, rubric, staff_reply, customer_spoken])
        customer_spoken.change(None, customer_spoken, None, js=SAY_LINE_JS)
        by_voice.click(None, js=REPLY_BY_VOICE_JS)
        show.click(progress, [who], [progress_table, progress_note, exports])
    return page


def trainer_page_for_context(ctx: AppContext) -> gr.Blocks:
    """The page built from the web server's AppContext: the server's own knowledge base and LLM."""
    return build_trainer_page(ctx.settings, Trainer(ctx.settings, llm=ctx.answerer.llm, kb=ctx.kb))
