"""The hand-off queue for staff: open tickets, a ticket's transcript with slots and citations, a reply
that appears in the customer's chat, closing the ticket, and revealing a sealed slot (the number to call
back) on request, each reveal recorded in the audit log.

Words in Chinese or English (``ui/strings.yaml``, section ``handoff``): built in Chinese, relabelled on
load in the visitor's language."""

from __future__ import annotations

from typing import Any

import gradio as gr

from agent.records.audit import NotSealedError, UnknownHandoffError
from agent.records.tables import HandoffStatus
from ui.auth import parse_owner
from ui.context import AppContext
from ui.web import PageText, nav_bar, request_language, text


def _t(language: str, key: str) -> Any:
    return text(language, f"handoff.{key}")


def _word(language: str, group: str, value: str) -> str:
    """A reason's or status's name in ``language``; the stored value itself when it has none."""
    return str(_t(language, group).get(value, value))


def build_handoff_page(ctx: AppContext) -> gr.Blocks:
    words = PageText("handoff")

    def staff_name(request: gr.Request, language: str) -> str:
        identity = parse_owner(request.username if request else None)
        if identity is None:
            raise gr.Error(_t(language, "not_logged_in"))
        return identity.name

    def queue(language: str) -> tuple[dict[str, Any], Any]:
        tickets = [t for t in ctx.audit.handoffs() if t.status is not HandoffStatus.CLOSED]
        rows = [[t.id, _word(language, "reasons", t.reason.value), _word(language, "statuses", t.status.value),
                 t.assignee or "", f"{t.created_at:%Y-%m-%d %H:%M}", t.summary]
                for t in tickets]
        choices = [(f"{t.id[:8]} · {_word(language, 'reasons', t.reason.value)} · {t.summary[:40]}", t.id)
                   for t in tickets]
        # with its headers: rows alone would take the Chinese ones the page was built with
        return {"headers": _t(language, "columns"), "data": rows}, gr.update(choices=choices)

    def queue_on_load(request: gr.Request) -> tuple[dict[str, Any], Any]:
        return queue(request_language(request))

    def show(ticket_id: str | None, language: str) -> str:
        if not ticket_id:
            return ""
        try:
            ticket = ctx.audit.handoff(ticket_id)
        except UnknownHandoffError as err:
            raise gr.Error(str(err)) from None
        slots = "; ".join(f"{k} = {v}" for k, v in ticket.slots.items()) or "—"
        reason, status = (_word(language, "reasons", ticket.reason.value),
                          _word(language, "statuses", ticket.status.value))
        lines = [_t(language, "heading").format(id=ticket.id[:8], reason=reason, status=status),
                 _t(language, "slots").format(slots=slots), ""]
        for turn in ctx.audit.transcript(ticket.session_id):
            who = {"customer": _t(language, "customer"), "assistant": _t(language, "assistant")}.get(
                turn.role.value, _t(language, "staff").format(name=turn.author))
            lines.append(_t(language, "turn").format(n=turn.n, who=who, text=turn.text))
            lines.extend(f"  - [{c.n}] {c.document_title} > {c.section}" for c in turn.citations)
        return "\n\n".join(lines)

    def sealed_choices(ticket_id: str | None) -> Any:
        sealed = ctx.audit.handoff(ticket_id).sealed if ticket_id else ()
        return gr.update(choices=list(sealed), value=sealed[0] if sealed else None, interactive=bool(sealed))

    def reveal(ticket_id: str | None, slot: str | None, language: str, request: gr.Request) -> str:
        if not ticket_id or not slot:
            raise gr.Error(_t(language, "pick_reveal"))
        try:
            value = ctx.audit.reveal_slot(ticket_id, slot, staff_name(request, language))
        except (UnknownHandoffError, NotSealedError) as err:
            raise gr.Error(str(err)) from None
        return _t(language, "revealed").format(slot=slot, value=value)

    def reply(ticket_id: str | None, message: str, language: str, request: gr.Request) -> tuple[str, str]:
        if not ticket_id:
            raise gr.Error(_t(language, "pick_ticket"))
        message = (message or "").strip()
        if not message:
            raise gr.Error(_t(language, "write_reply"))
        ticket = ctx.audit.handoff(ticket_id)
        if ticket.status is HandoffStatus.CLOSED:
            raise gr.Error(_t(language, "ticket_closed"))
        name = staff_name(request, language)
        ctx.audit.record_staff_turn(ticket.session_id, message, name)
        if ticket.assignee is None:
            ctx.audit.update_handoff(ticket_id, assignee=name)
        return show(ticket_id, language), ""

    def close(ticket_id: str | None, language: str, request: gr.Request) -> tuple[str, dict[str, Any], Any]:
        if not ticket_id:
            raise gr.Error(_t(language, "pick_ticket"))
        ticket = ctx.audit.handoff(ticket_id)
        try:
            ctx.audit.update_handoff(ticket_id, HandoffStatus.CLOSED,
                                     assignee=None if ticket.assignee else staff_name(request, language))
        except ValueError as err:
            raise gr.Error(str(err)) from None
        rows, choices = queue(language)
        return _t(language, "closed").format(id=ticket_id[:8]), rows, choices

    def zh(key: str) -> Any:
        return _t("zh", key)

    with gr.Blocks(title=f"{zh('page_title')} · {_t('en', 'page_title')}") as page:
        nav_bar("/handoff")
        language = gr.State("zh")
        words(gr.Markdown(zh("intro")), "intro", "value")
        refresh = words(gr.Button(zh("refresh"), elem_id="refresh"), "refresh", "value")
        table = words(gr.Dataframe(headers=zh("columns"), interactive=False, elem_id="tickets", wrap=True),
                      "columns", "headers")
        picked = words(gr.Dropdown(label=zh("ticket"), choices=[], elem_id="ticket-choice"), "ticket")
        transcript = gr.Markdown(elem_id="ticket-transcript")
        with gr.Row():
            sealed = words(gr.Dropdown(label=zh("sealed"), choices=[], interactive=False, elem_id="sealed-slot"),
                           "sealed")
            show_sealed = words(gr.Button(zh("reveal"), elem_id="reveal-slot"), "reveal", "value")
        revealed = gr.Markdown(elem_id="revealed")
        message = words(gr.Textbox(label=zh("reply"), lines=3, elem_id="staff-reply"), "reply")
        with gr.Row():
            send = words(gr.Button(zh("send"), variant="primary", elem_id="send-reply"), "send", "value")
            finish = words(gr.Button(zh("close"), variant="stop", elem_id="close-ticket"), "close", "value")
        words.relabel_on_load(page, language)
        page.load(queue_on_load, None, [table, picked])
        refresh.click(queue, language, [table, picked])
        picked.change(show, [picked, language], transcript)
        picked.change(sealed_choices, picked, sealed)
        picked.change(lambda _: "", picked, revealed)
        show_sealed.click(reveal, [picked, sealed, language], revealed)
        send.click(reply, [picked, message, language], [transcript, message])
        finish.click(close, [picked, language], [transcript, table, picked])
    return page
