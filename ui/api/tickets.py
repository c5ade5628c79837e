"""The hand-off queue for staff: open tickets, a ticket with its transcript, reply into the chat, close,
and the reveal of a sealed slot (a call-back number) to the staff member who asks, recorded each time."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from agent.records.audit import HandoffRecord, NotSealedError, UnknownHandoffError
from agent.records.tables import HandoffStatus
from ui.api.common import turn_dict
from ui.auth import Identity, require
from ui.context import AppContext
from ui.users import Role


class StaffReply(BaseModel):
    text: str = Field(min_length=1, max_length=4000, description="What the customer will see in their chat.")


def ticket_dict(ticket: HandoffRecord) -> dict[str, Any]:
    return {"id": ticket.id, "session_id": ticket.session_id, "reason": ticket.reason.value,
            "status": ticket.status.value, "assignee": ticket.assignee, "slots": ticket.slots,
            "summary": ticket.summary, "sealed": list(ticket.sealed), "created_at": ticket.created_at.isoformat(),
            "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None}


def build_router(ctx: AppContext) -> APIRouter:
    router = APIRouter(prefix="/api/tickets", tags=["tickets"])
    staff = Depends(require(Role.STAFF, Role.ADMIN))

    def ticket(ticket_id: str) -> HandoffRecord:
        try:
            return ctx.audit.handoff(ticket_id)
        except UnknownHandoffError as err:
            raise HTTPException(404, str(err)) from None

    @router.get("")
    def queue(status: str | None = None, identity: Identity = staff) -> list[dict[str, Any]]:
        """Tickets oldest first: open and assigned ones by default, or those with ``status``."""
        try:
            if status:
                tickets = ctx.audit.handoffs(status)
            else:
                tickets = [t for t in ctx.audit.handoffs() if t.status is not HandoffStatus.CLOSED]
        except ValueError as err:
            raise HTTPException(422, str(err)) from None
        return [ticket_dict(t) for t in tickets]

    @router.get("/{ticket_id}")
    def read(ticket_id: str, identity: Identity = staff) -> dict[str, Any]:
        """The ticket, its slots, and the whole transcript with each reply's citations."""
        record = ticket(ticket_id)
        return {**ticket_dict(record), "transcript": [turn_dict(t) for t in ctx.audit.transcript(record.session_id)]}

    @router.post("/{ticket_id}/reply")
    def reply(ticket_id: str, body: StaffReply, identity: Identity = staff) -> dict[str, Any]:
        """Write into the customer's chat (they see it on their next poll or message); assigns the ticket."""
        record = ticket(ticket_id)
        if record.status is HandoffStatus.CLOSED:
            raise HTTPException(409, f"ticket {ticket_id} is closed; the customer can open a new one")
        text = body.text.strip()
        if not text:
            raise HTTPException(422, "the reply is empty")
        turn_id = ctx.audit.record_staff_turn(record.session_id, text, identity.name)
        if record.assignee is None:
            record = ctx.audit.update_handoff(ticket_id, assignee=identity.name)
        return {"turn_id": turn_id, "ticket": ticket_dict(record)}

    @router.post("/{ticket_id}/reveal/{slot}")
    def reveal(ticket_id: str, slot: str, identity: Identity = staff) -> dict[str, str]:
        """The clear value of one sealed slot (``sealed`` in the ticket), e.g. the number to call back.
        Every reveal is written to the audit log with the staff member's name."""
        ticket(ticket_id)
        try:
            value = ctx.audit.reveal_slot(ticket_id, slot, identity.name)
        except NotSealedError as err:
            raise HTTPException(404, str(err)) from None
        return {"slot": slot, "value": value}

    @router.post("/{ticket_id}/close")
    def close(ticket_id: str, identity: Identity = staff) -> dict[str, Any]:
        record = ticket(ticket_id)
        try:
            record = ctx.audit.update_handoff(ticket_id, HandoffStatus.CLOSED,
                                              assignee=None if record.assignee else identity.name)
        except ValueError as err:
            raise HTTPException(409, str(err)) from None
        return ticket_dict(record)

    return router
