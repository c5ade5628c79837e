"""The hand-off queue for staff: open tickets, a ticket's transcript with slots and citations, a reply
that appears in the customer's chat, closing the ticket, and revealing a sealed slot (the number to call
back) on request, each reveal recorded in the audit log."""

from __future__ import annotations

from typing import Any

import gradio as gr

from agent.audit import NotSealedError, UnknownHandoffError
from agent.audit_models import HandoffStatus
from ui.auth import parse_owner
from ui.context import AppContext
from ui.web import nav_bar

QUEUE_COLUMNS = ["ticket", "reason", "status", "assignee", "opened (UTC)", "summary"]


def build_handoff_page(ctx: AppContext) -> gr.Blocks:
    def staff_name(request: gr.Request) -> str:
        identity = parse_owner(request.username if request else None)
        if identity is None:
            raise gr.Error("You are not logged in; reload the page.")
        return identity.name

    def queue() -> tuple[list[list[Any]], Any]:
        tickets = [t for t in ctx.audit.handoffs() if t.status is not HandoffStatus.CLOSED]
        rows = [[t.id, t.reason.value, t.status.value, t.assignee or "", f"{t.created_at:%Y-%m-%d %H:%M}", t.summary]
                for t in tickets]
        return rows, gr.update(choices=[(f"{t.id[:8]} · {t.reason.value} · {t.summary[:40]}", t.id)
                                        for t in tickets])

    def show(ticket_id: str | None) -> str:
        if not ticket_id:
            return ""
        try:
            ticket = ctx.audit.handoff(ticket_id)
        except UnknownHandoffError as err:
            raise gr.Error(str(err)) from None
        lines = [f"### Ticket {ticket.id[:8]} · {ticket.reason.value} · {ticket.status.value}",
                 "**Slots:** " + ("; ".join(f"{k} = {v}" for k, v in ticket.slots.items()) or "—"), ""]
        for turn in ctx.audit.transcript(ticket.session_id):
            who = {"customer": "Customer", "assistant": "Digital employee"}.get(turn.role.value,
                                                                                 f"Staff ({turn.author})")
            lines.append(f"**{turn.n}. {who}:** {turn.text}")
            lines.extend(f"  - [{c.n}] {c.document_title} > {c.section}" for c in turn.citations)
        return "\n\n".join(lines)

    def sealed_choices(ticket_id: str | None) -> Any:
        sealed = ctx.audit.handoff(ticket_id).sealed if ticket_id else ()
        return gr.update(choices=list(sealed), value=sealed[0] if sealed else None, interactive=bool(sealed))

    def reveal(ticket_id: str | None, slot: str | None, request: gr.Request) -> str:
        if not ticket_id or not slot:
            raise gr.Error("Pick a ticket and the detail to reveal first.")
        try:
            value = ctx.audit.reveal_slot(ticket_id, slot, staff_name(request))
        except (UnknownHandoffError, NotSealedError) as err:
            raise gr.Error(str(err)) from None
        return f"**{slot}:** `{value}` — this reveal is recorded in the audit log under your name."

    def reply(ticket_id: str | None, message: str, request: gr.Request) -> tuple[str, str]:
        if not ticket_id:
            raise gr.Error("Pick a ticket first.")
        message = (message or "").strip()
        if not message:
            raise gr.Error("Write a reply first.")
        ticket = ctx.audit.handoff(ticket_id)
        if ticket.status is HandoffStatus.CLOSED:
            raise gr.Error("This ticket is closed.")
        name = staff_name(request)
        ctx.audit.record_staff_turn(ticket.session_id, message, name)
        if ticket.assignee is None:
            ctx.audit.update_handoff(ticket_id, assignee=name)
        return show(ticket_id), ""

    def close(ticket_id: str | None, request: gr.Request) -> tuple[str, list[list[Any]], Any]:
        if not ticket_id:
            raise gr.Error("Pick a ticket first.")
        ticket = ctx.audit.handoff(ticket_id)
        try:
            ctx.audit.update_handoff(ticket_id, HandoffStatus.CLOSED,
                                     assignee=None if ticket.assignee else staff_name(request))
        except ValueError as err:
            raise gr.Error(str(err)) from None
        rows, choices = queue()
        return f"Ticket {ticket_id[:8]} closed.", rows, choices

    with gr.Blocks(title="Hand-off queue") as page:
        nav_bar("/handoff")
        gr.Markdown("## Hand-off queue\nComplaints, claim reports and requests for a person. "
                    "Your reply appears in the customer's chat. [Log out](/logout)")
        refresh = gr.Button("Refresh", elem_id="refresh")
        table = gr.Dataframe(headers=QUEUE_COLUMNS, interactive=False, elem_id="tickets", wrap=True)
        picked = gr.Dropdown(label="Ticket", choices=[], elem_id="ticket-choice")
        transcript = gr.Markdown(elem_id="ticket-transcript")
        with gr.Row():
            sealed = gr.Dropdown(label="Masked detail", choices=[], interactive=False, elem_id="sealed-slot")
            show_sealed = gr.Button("Reveal (recorded)", elem_id="reveal-slot")
        revealed = gr.Markdown(elem_id="revealed")
        message = gr.Textbox(label="Reply to the customer", lines=3, elem_id="staff-reply")
        with gr.Row():
            send = gr.Button("Send reply", variant="primary", elem_id="send-reply")
            finish = gr.Button("Close ticket", variant="stop", elem_id="close-ticket")
        page.load(queue, None, [table, picked])
        refresh.click(queue, None, [table, picked])
        picked.change(show, picked, transcript)
        picked.change(sealed_choices, picked, sealed)
        picked.change(lambda _: "", picked, revealed)
        show_sealed.click(reveal, [picked, sealed], revealed)
        send.click(reply, [picked, message], [transcript, message])
        finish.click(close, picked, [transcript, table, picked])
    return page
