"""The dashboard's web application: pages over a results store, evidence downloads, bundles and the push API.

Writes (``POST /api/runs``, a zipped run folder) need ``Authorization: Bearer <token>`` with the token the
server was given (`RIG_RESULTS_TOKEN`); without a configured token the server accepts no pushes. Reads are open
unless the server was told to require the token for them too.
"""
from __future__ import annotations

import hmac
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy.exc
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from harness.errors import InputError
from harness.shared import shared_path
from harness.store import bundle as bundles
from harness.store import queries as q
from harness.store.runfolder import safe_member, unpack
from harness.store.store import Store

PUSH_LIMIT = 256 * 1024 * 1024  # bytes of one pushed zip
SMKI_IN_RUN = Path("bench") / "provisioning" / "smki"


@dataclass
class Settings:
    """How the server runs: its store, where pushed runs' evidence goes, tokens and bundle signing."""

    store: Store
    evidence_dir: Path
    token: str | None = None
    read_token: bool = False
    smki: Path | None = None        # bench SMKI signing bundles of runs that carry none of their own
    unhealthy: float = q.UNHEALTHY


def _templates() -> Environment:
    env = Environment(loader=PackageLoader("rig.dashboard", "templates"), autoescape=select_autoescape())
    env.filters["pct"] = lambda x: f"{100 * x:.1f}%"
    env.filters["slug"] = lambda s: str(s).lower().replace(" ", "-")
    return env


def _authorised(request: Request, token: str | None) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def create_app(settings: Settings) -> Starlette:
    """The dashboard over `settings.store`."""
    env = _templates()
    store = settings.store

    def page(name: str, status: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context), status_code=status)

    def not_found(what: str) -> HTMLResponse:
        return page("message.html", 404, title="Not found", message=what)

    def runs_list(request: Request) -> Response:
        p = request.query_params
        try:
            number = int(p.get("page", "1"))
        except ValueError:
            number = 1
        f = q.RunFilters(bench=p.get("bench", ""), model=p.get("model", ""), firmware=p.get("firmware", ""),
                         verdict=p.get("verdict", ""), date_from=p.get("from", ""), date_to=p.get("to", ""),
                         page=number)
        with store.engine.connect() as conn:
            data = q.list_runs(conn, f)
        return page("runs.html", f=f, **data)

    def run_page(request: Request) -> Response:
        with store.engine.connect() as conn:
            data = q.run_detail(conn, request.path_params["run_id"])
        if data is None:
            return not_found(f"no run {request.path_params['run_id']!r} in this store")
        data["can_bundle"] = _smki_for(data["run"].folder) is not None
        return page("run.html", **data)

    def evidence(request: Request) -> Response:
        run_id, name = request.path_params["run_id"], request.path_params["path"]
        with store.engine.connect() as conn:
            folder, listed = q.evidence_paths(conn, run_id)
        try:
            name = safe_member(name)
        except InputError:
            return not_found("not an evidence path")
        if folder is None or name not in listed:
            return not_found(f"run {run_id!r} lists no evidence {name!r}")
        root = Path(folder).resolve()
        path = (root / name).resolve()
        if root not in path.parents or not path.is_file():
            return not_found(f"evidence {name!r} is not on this server")
        text = path.suffix in (".txt", ".log", ".json")
        return FileResponse(path, media_type="text/plain; charset=utf-8" if text else "application/octet-stream",
                            filename=None if text else path.name, headers={"x-content-type-options": "nosniff"},
                            content_disposition_type="inline" if text else "attachment")

    def _smki_for(folder: str | None) -> Path | None:
        if folder and (Path(folder) / SMKI_IN_RUN).is_dir():
            return Path(folder) / SMKI_IN_RUN
        return settings.smki

    def bundle(request: Request) -> Response:
        run_id = request.path_params["run_id"]
        with store.engine.connect() as conn:
            folder, _ = q.evidence_paths(conn, run_id)
        smki = _smki_for(folder)
        if folder is None or smki is None or not Path(folder).is_dir():
            return not_found(f"run {run_id!r} has no evidence folder or bench SMKI on this server")
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / f"{run_id}.zip"
            try:
                bundles.build(Path(folder), out, bundles.smki_signer(smki))
            except InputError as exc:
                return page("message.html", 409, title="No bundle", message=str(exc))
            data = out.read_bytes()
        return Response(data, media_type="application/zip",
                        headers={"content-disposition": f'attachment; filename="{run_id}-bundle.zip"'})

    def test_history(request: Request) -> Response:
        nodeid = request.query_params.get("nodeid", "")
        with store.engine.connect() as conn:
            rows = q.history(conn, nodeid)
        if not rows:
            return not_found(f"no results for test {nodeid!r}")
        return page("history.html", nodeid=nodeid, series=rows, windows=q.FLAKE_WINDOWS)

    def matrix(request: Request) -> Response:
        with store.engine.connect() as conn:
            data = q.matrix(conn, basis=request.query_params.get("basis", ""),
                            model=request.query_params.get("model", ""))
        return page("matrix.html", **data)

    def health(request: Request) -> Response:
        with store.engine.connect() as conn:
            data = q.health(conn, threshold=settings.unhealthy)
        return page("health.html", **data)

    def coverage(request: Request) -> Response:
        path = shared_path("domain", "scenarios.json")
        if path is None:
            return page("message.html", 404, title="Scenario coverage",
                        message="shared/domain/scenarios.json is not present on this server")
        scenarios = json.loads(path.read_text())["scenarios"]
        with store.engine.connect() as conn:
            data = q.coverage(conn, scenarios)
        return page("coverage.html", **data)

    async def push(request: Request) -> Response:
        if not settings.token:
            return JSONResponse({"error": "this server accepts no pushes (RIG_RESULTS_TOKEN is not set)"}, 403)
        if not _authorised(request, settings.token):
            return JSONResponse({"error": "a valid bearer token is required"}, 401,
                                headers={"www-authenticate": "Bearer"})
        body = await request.body()
        if len(body) > PUSH_LIMIT:
            return JSONResponse({"error": "pushed run is too large"}, 413)
        def keep() -> tuple:
            run = unpack(body, settings.evidence_dir)
            return run, store.record(run, str(settings.evidence_dir / run.run_id))

        try:
            run, done = await run_in_threadpool(keep)
        except InputError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        except sqlalchemy.exc.IntegrityError:  # the same run pushed twice at once: the other push stored it
            return JSONResponse({"created": False, "added": 0}, 200)
        return JSONResponse({"run_id": run.run_id, "created": done.created, "added": done.added},
                            201 if done.created else 200)

    routes = [Route("/", runs_list), Route("/runs/{run_id}", run_page),
              Route("/runs/{run_id}/evidence/{path:path}", evidence), Route("/runs/{run_id}/bundle.zip", bundle),
              Route("/history", test_history), Route("/matrix", matrix), Route("/health", health),
              Route("/coverage", coverage), Route("/api/runs", push, methods=["POST"])]

    async def read_auth(request: Request, call_next):
        if settings.read_token and request.method != "POST" and not _authorised(request, settings.token):
            return JSONResponse({"error": "a valid bearer token is required"}, 401,
                                headers={"www-authenticate": "Bearer"})
        return await call_next(request)

    return Starlette(routes=routes, middleware=[Middleware(BaseHTTPMiddleware, dispatch=read_auth)])
