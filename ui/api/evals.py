"""Evals for QA: the packaged suites, past reports, and retrieval-only runs started in the background."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from ui.auth import Identity, require
from ui.context import AppContext
from ui.users import Role


class RunRequest(BaseModel):
    suite: str = Field(description="A suite name from GET /api/evals/suites, e.g. 'demo'.")
    retrieval_only: bool = Field(default=True, description="Score retrieval only (no LLM): fast, safe to run live.")
    limit: int | None = Field(default=None, ge=1, description="Only the first N cases.")


_REPORT_FILES = {"report.html": "text/html", "summary.json": "application/json"}


def build_router(ctx: AppContext) -> APIRouter:
    router = APIRouter(prefix="/api/evals", tags=["evals"])
    qa = Depends(require(Role.QA, Role.ADMIN))

    @router.get("/suites")
    def suites(identity: Identity = qa) -> list[dict[str, Any]]:
        return ctx.evals.suites()

    @router.get("/reports")
    def reports(identity: Identity = qa) -> list[dict[str, Any]]:
        return ctx.evals.reports()

    @router.get("/reports/{run}/{name}", response_class=FileResponse)
    def report_file(run: str, name: str, identity: Identity = qa) -> FileResponse:
        """A run's ``report.html`` or ``summary.json``; nothing else of the run folder is served."""
        if name not in _REPORT_FILES:
            raise HTTPException(404, f"a run serves {' and '.join(_REPORT_FILES)}, not {name!r}")
        try:
            folder = ctx.evals.run_folder(run)
        except FileNotFoundError as err:
            raise HTTPException(404, str(err)) from None
        return FileResponse(folder / name, media_type=_REPORT_FILES[name])

    @router.post("/runs", status_code=202)
    def start(body: RunRequest, identity: Identity = qa) -> dict[str, Any]:
        """Start a run in the background (runs queue one at a time); poll GET /api/evals/runs/{id}."""
        try:
            return ctx.evals.start(body.suite, body.retrieval_only, body.limit).to_dict()
        except ValueError as err:
            raise HTTPException(422, str(err)) from None

    @router.get("/runs/{job_id}")
    def status(job_id: str, identity: Identity = qa) -> dict[str, Any]:
        try:
            return ctx.evals.job(job_id).to_dict()
        except KeyError as err:
            raise HTTPException(404, str(err.args[0])) from None

    return router
