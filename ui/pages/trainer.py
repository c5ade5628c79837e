"""The trainer page (Gradio): lessons, quizzes, role-play and progress. Thin: every decision is made in
agent.trainer; this module only lays out inputs and shows results.

One avatar serves every tab: the trainer persona reads a lesson's key points aloud, and in role-play it
speaks the customer's lines; the trainee may answer by voice (hands-free, like the customer page).

Words in Chinese or English (``ui/strings.yaml``, section ``trainer``); the lessons themselves are in the
documents' language. The web server mounts it at /trainer for staff and admins (``ui.server.builtin_pages``).
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
from agent.trainer.store import UnknownLessonError
from agent.trainer.trainer import Trainer
from settings import Settings
from ui.avatar import avatar_component
from ui.context import AppContext
from ui.web import PageText, nav_bar, text

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


def _question_md(quiz: Quiz, i: int, language: str) -> str:
    item = quiz.items[i]
    options = "\n".join(f"- **{letter}.** {text}" for letter, text in zip("ABCD", item.options, strict=False))
    kind = _t(language, "mcq" if item.kind == "mcq" else "open")
    return f"**{i + 1}/{len(quiz.items)} · {kind}**\n\n{item.question}\n\n{options}"


def quiz_transcript(quiz: Quiz, answered: list[dict[str, Any]], language: str) -> str:
    """The quiz so far: each answered question with the trainee's answer and its feedback right under it,
    then the next question, or the final score once every question is answered."""
    parts = []
    for i, done in enumerate(answered):
        mark = "✅" if done["score"] >= 1 else ("🟡" if done["score"] > 0 else "❌")
        parts.append(f"{_question_md(quiz, i, language)}\n\n> {html.escape(done['reply'])}\n\n"
                     f"{mark} {done['feedback']}")
    total, got = len(quiz.items), sum(d["score"] for d in answered)
    score = f"{got:.1f}".rstrip("0").rstrip(".")
    if len(answered) < total:
        tally = f"*{_t(language, 'score_so_far').format(score=score, total=total)}*" if answered else ""
        parts.append("\n\n".join(x for x in (tally, _question_md(quiz, len(answered), language)) if x))
    else:
        parts.append(f"### {_t(language, 'finished').format(score=score, total=total)}")
    return "\n\n---\n\n".join(parts)


def rubric_html(score: Any, language: str) -> str:
    """The role-play rubric of one reply as a table: criterion, score, feedback."""
    rows = "".join(f"<tr><td>{html.escape(c.title)}</td><td>{c.score:.0%}</td>"
                   f"<td>{html.escape(c.feedback)}</td></tr>" for c in score.criteria)
    head = "".join(f"<th>{html.escape(_t(language, k))}</th>" for k in ("criterion", "score", "feedback"))
    return f"<h3>{score.total:.0f}/100</h3><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _t(language: str, key: str) -> Any:
    return text(language, f"trainer.{key}")


def build_trainer_page(settings: Settings, trainer: Trainer | None = None) -> gr.Blocks:
    trainer = trainer or Trainer(settings)
    words = PageText("trainer")

    def topic_choices() -> list[str]:
        return topics(trainer.kb)

    def make_lesson(topic: str, refresh: bool, language: str) -> tuple[str, dict[str, Any], str]:
        try:
            lesson = trainer.lesson(topic, refresh=refresh)
        except UnknownTopicError as err:
            raise gr.Error(str(err)) from None
        note = words.get(language, "points_note").format(kept=len(lesson.points), dropped=len(lesson.dropped))
        spoken = "".join(p.text.rstrip("。") + "。" for p in lesson.points if p.category == "key_point")
        return f"{lesson.markdown(language)}\n\n*{note}*", lesson.to_dict(), spoken

    def save_lesson(lesson: dict[str, Any] | None, name: str, language: str,
                    request: gr.Request) -> tuple[str, list[list[Any]]]:
        if not lesson:
            raise gr.Error("Generate a lesson first. / 请先生成课程。")
        lesson_id = trainer.save_draft(Lesson.from_dict(lesson), _trainee(name, request))
        return words.get(language, "saved").format(id=lesson_id), lesson_rows()

    def lesson_rows() -> list[list[Any]]:
        return [[r.id, r.topic, r.status.value, len(r.content.get("points", [])), r.author or "",
                 f"{r.updated_at:%Y-%m-%d %H:%M}"] for r in trainer.store.lessons()]

    def publish(lesson_id: float | None, language: str) -> tuple[str, list[list[Any]]]:
        if lesson_id is None:
            raise gr.Error("Give the id of the lesson to publish. / 请填写要发布的课程编号。")
        try:
            record = trainer.store.publish_lesson(int(lesson_id))
        except UnknownLessonError as err:
            raise gr.Error(str(err)) from None
        return words.get(language, "published").format(id=record.id), lesson_rows()

    def start_quiz(topic: str, n: float, language: str) -> tuple[str, Any, list[dict[str, Any]], str]:
        try:
            quiz = trainer.quiz(topic, int(n))
        except (UnknownTopicError, ValueError) as err:
            raise gr.Error(str(err)) from None
        if not quiz.items:
            raise gr.Error(f"None of the {quiz.generated} drafted questions had a key its clause supports; "
                           "try again or another topic.")
        note = words.get(language, "kept_questions").format(kept=len(quiz.items), drafted=quiz.generated)
        return quiz_transcript(quiz, [], language), quiz, [], note

    def answer_quiz(quiz: Quiz | None, answered: list[dict[str, Any]], reply: str, name: str, language: str,
                    request: gr.Request) -> tuple[str, list[dict[str, Any]], str]:
        if quiz is None or len(answered) >= len(quiz.items):
            raise gr.Error("Start a quiz first. / 请先开始测验。")
        item = quiz.items[len(answered)]
        if item.kind == "mcq":
            correct, feedback = grade_choice(item, reply)
            score = float(correct)
        else:
            grade = grade_open_answer(reply, item.answer, item.clause, settings.trainer_pass_coverage)
            score, feedback = grade.coverage, grade.feedback
        trainer.store.record_attempt(_trainee(name, request), "quiz" if item.kind == "mcq" else "open",
                                     quiz.topic, score, item.question, {"reply": reply, "key": item.answer})
        answered = [*answered, {"reply": (reply or "").strip(), "score": score, "feedback": feedback}]
        return quiz_transcript(quiz, answered, language), answered, ""

    # Role-play: the customer speaks on the left (Gradio's assistant side), the trainee on the right (user).
    def start_roleplay(persona_id: str) -> tuple[list[dict[str, str]], RolePlay, str, str]:
        session = trainer.roleplay(persona_id)
        opening = session.opening()
        return [{"role": "assistant", "content": opening}], session, "", _line(opening)

    def roleplay_turn(session: RolePlay | None, reply: str, chat: list[dict[str, str]], name: str, language: str,
                      request: gr.Request) -> tuple[list[dict[str, str]], str, str, str]:
        if session is None:
            raise gr.Error("Pick a persona and start first. / 请先选择客户并开始。")
        if not (reply or "").strip():
            raise gr.Error("Type what you would say to the customer. / 请写下您对客户说的话。")
        score, customer = session.respond(reply)
        trainer.store.record_attempt(_trainee(name, request), "roleplay", session.persona.id, score.total / 100,
                                     reply.strip(), score.to_dict())
        chat = [*chat, {"role": "user", "content": reply.strip()}, {"role": "assistant", "content": customer}]
        return chat, rubric_html(score, language), "", _line(customer)

    def progress(trainee: str, language: str) -> tuple[list[list[Any]], str, list[str]]:
        attempts = trainer.store.attempts(trainee.strip() or None)
        rows = [[p.trainee, p.attempts, f"{p.mean:.0%}", ", ".join(p.weak_topics), p.last_activity]
                for p in summarize(attempts)]
        folder = Path(tempfile.mkdtemp(prefix="trainer-progress-"))
        (folder / "progress.csv").write_text(attempts_csv(attempts), encoding="utf-8")
        (folder / "progress.html").write_text(progress_html(attempts), encoding="utf-8")
        note = words.get(language, "attempts_note").format(n=len(attempts))
        return rows, note, [str(folder / "progress.csv"), str(folder / "progress.html")]

    def zh(key: str) -> Any:
        return words.get("zh", key)

    with gr.Blocks(title="虚拟培训师 · Virtual trainer") as page:
        nav_bar("/trainer")
        language = gr.State("zh")
        words(gr.Markdown(zh("title")), "title", "value")
        name = words(gr.Textbox(label=zh("trainee"), max_lines=1), "trainee")
        # The trainer persona presents lessons aloud and plays the customer in role-play (lip-synced).
        avatar_component(settings.model_copy(update={"avatar_name": settings.trainer_name,
                                                     "avatar_greeting": settings.trainer_greeting}))
        with words(gr.Tab(zh("lessons"), id="lessons"), "lessons"):
            lesson_spoken = gr.Textbox(visible="hidden", elem_id="lesson-spoken")
            with gr.Row():
                lesson_topic = words(gr.Dropdown(label=zh("topic"), choices=[], allow_custom_value=True), "topic")
                refresh = words(gr.Checkbox(label=zh("refresh")), "refresh")
            make = words(gr.Button(zh("generate"), variant="primary"), "generate", "value")
            lesson_md = gr.Markdown()
            lesson_state = gr.State(None)
            with gr.Row():
                save = words(gr.Button(zh("save")), "save", "value")
                publish_id = words(gr.Number(label=zh("lesson_id"), precision=0), "lesson_id")
                publish_btn = words(gr.Button(zh("publish")), "publish", "value")
            lesson_note = gr.Markdown()
            lessons_table = words(gr.Dataframe(headers=zh("lesson_columns"), interactive=False,
                                               elem_classes="table-wrap"), "lesson_columns", "headers")
        with words(gr.Tab(zh("quiz"), id="quiz"), "quiz"):
            with gr.Row():
                quiz_topic = words(gr.Dropdown(label=zh("topic"), choices=[], allow_custom_value=True), "topic")
                quiz_n = words(gr.Slider(1, 10, value=4, step=1, label=zh("questions")), "questions")
            start = words(gr.Button(zh("start_quiz"), variant="primary"), "start_quiz", "value")
            quiz_note = gr.Markdown()
            question = gr.Markdown(elem_id="quiz-transcript")
            quiz_answer = words(gr.Textbox(label=zh("your_answer"), elem_id="quiz-answer"), "your_answer")
            submit = words(gr.Button(zh("answer"), elem_id="quiz-submit"), "answer", "value")
            quiz_state, answered = gr.State(None), gr.State([])
        with words(gr.Tab(zh("roleplay"), id="roleplay"), "roleplay"):
            persona_id = words(gr.Dropdown(label=zh("customer"), choices=[(p.name, p.id) for p in personas().values()],
                                           value="cooling-off-cancel", elem_id="persona"), "customer")
            begin = words(gr.Button(zh("start"), variant="primary", elem_id="roleplay-start"), "start", "value")
            chat = words(gr.Chatbot(label=zh("chat_label"), height=360, elem_id="roleplay-chat", buttons=[],
                                    feedback_options=None, group_consecutive_messages=False), "chat_label")
            customer_spoken = gr.Textbox(visible="hidden", elem_id="customer-spoken")  # the avatar says it
            staff_reply = words(gr.Textbox(label=zh("your_reply"), elem_id="staff-reply"), "your_reply")
            with gr.Row():
                send = words(gr.Button(zh("send"), elem_id="roleplay-send"), "send", "value")
                by_voice = words(gr.Button(zh("by_voice"), elem_id="reply-by-voice"), "by_voice", "value")
            rubric = gr.HTML(elem_id="rubric")
            session_state = gr.State(None)
        with words(gr.Tab(zh("progress"), id="progress"), "progress"):
            who = words(gr.Textbox(label=zh("who"), max_lines=1), "who")
            show = words(gr.Button(zh("show")), "show", "value")
            progress_table = words(gr.Dataframe(headers=zh("progress_columns"), interactive=False,
                                                elem_classes="table-wrap"), "progress_columns", "headers")
            progress_note = gr.Markdown()
            exports = words(gr.File(label=zh("exports"), file_count="multiple"), "exports")

        def load_choices() -> tuple[Any, Any, list[list[Any]]]:
            choices = topic_choices()
            return gr.update(choices=choices), gr.update(choices=choices), lesson_rows()

        words.relabel_on_load(page, language)
        page.load(load_choices, None, [lesson_topic, quiz_topic, lessons_table])
        make.click(make_lesson, [lesson_topic, refresh, language], [lesson_md, lesson_state, lesson_spoken])
        lesson_spoken.change(None, lesson_spoken, None, js=SAY_ZH_JS)
        save.click(save_lesson, [lesson_state, name, language], [lesson_note, lessons_table])
        publish_btn.click(publish, [publish_id, language], [lesson_note, lessons_table])
        start.click(start_quiz, [quiz_topic, quiz_n, language], [question, quiz_state, answered, quiz_note])
        submit.click(answer_quiz, [quiz_state, answered, quiz_answer, name, language],
                     [question, answered, quiz_answer])
        begin.click(start_roleplay, [persona_id], [chat, session_state, rubric, customer_spoken])
        send.click(roleplay_turn, [session_state, staff_reply, chat, name, language],
                   [chat, rubric, staff_reply, customer_spoken])
        customer_spoken.change(None, customer_spoken, None, js=SAY_LINE_JS)
        by_voice.click(None, js=REPLY_BY_VOICE_JS)
        show.click(progress, [who, language], [progress_table, progress_note, exports])
    return page


def trainer_page_for_context(ctx: AppContext) -> gr.Blocks:
    """The page built from the web server's AppContext: the server's own knowledge base and LLM."""
    return build_trainer_page(ctx.settings, Trainer(ctx.settings, llm=ctx.answerer.llm, kb=ctx.kb))
