"""/imports: upload a file to import in the background, then follow the job.

No ``from __future__ import annotations``: FastAPI must see the concrete types.
"""

import json
import shutil
import threading
import zipfile
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from api.deps import SettingsDep, StoreDep, TenantDep, Writer
from api.errors import ERROR_RESPONSES
from graph.errors import InvalidInput, NotFound
from graph.intelligence.sync import IntelligenceSync
from importers import detect_format
from importers.enrich import after_import
from importers.jobs import INPUT_DIR, UPLOAD_DIR, ImportJob, ImportJobs, Runner
from importers.report import ImportReport
from importers.service import import_file, parser_options
from importers.uploads import MultipartSink, UploadTooLarge, safe_filename, unpack
from search.sync import SearchSync

MAX_UPLOAD_BYTES: Final = 2 * 1024**3
FORM_OVERHEAD: Final = 2 * 1024 * 1024  # room for the multipart framing and the small fields
_JOBS_LOCK: Final = threading.Lock()

router = APIRouter(prefix="/imports", tags=["imports"], responses=ERROR_RESPONSES)


def upload_limit() -> int:
    """The largest file (or unpacked archive) accepted, in bytes; override in tests."""
    return MAX_UPLOAD_BYTES


def get_jobs(request: Request, store: StoreDep, settings: SettingsDep) -> ImportJobs:
    """The app's job runner, made on first use; jobs a stopped server left pending are resumed."""
    jobs: ImportJobs | None = getattr(request.app.state, "import_jobs", None)
    if jobs is None:
        with _JOBS_LOCK:
            jobs = getattr(request.app.state, "import_jobs", None)
            if jobs is None:
                sync = getattr(request.app.state, "sync", None)
                intel = getattr(request.app.state, "intel", None)
                jobs = ImportJobs(store, Path(settings.data_dir) / "imports", runner=_searchable(sync, intel))
                jobs.resume_pending()
                request.app.state.import_jobs = jobs
    return jobs


def _searchable(sync: SearchSync | None, intel: IntelligenceSync | None = None) -> Runner:
    """Run the import, then bring search up to date with what it wrote (catch-up by updated_at) and
    move the tenant's version (cached org charts and roll-ups are read again)."""

    def run(**kwargs: Any) -> ImportReport:
        try:
            report = import_file(**kwargs)
            fmt, options = kwargs["fmt"], kwargs.get("options") or {}
            return after_import(kwargs["store"], kwargs["tenant"], fmt=fmt, options=options, report=report)
        finally:
            if intel is not None:
                intel.refreshed(kwargs["tenant"])
            if sync is not None:
                sync.catch_up(kwargs["tenant"])

    return run


UploadLimit = Annotated[int, Depends(upload_limit)]
JobsDep = Annotated[ImportJobs, Depends(get_jobs)]


class ImportAccepted(BaseModel):
    job_id: str
    status: str
    status_url: str = Field(description="GET it to follow the job.")


class ImportJobOut(BaseModel):
    """A job's state. ``report`` (when done): counts per label and relationship type (read, created,
    updated, unchanged, merged, rejected), notes by code with examples, the first rejects with their
    location (line / message number) and reason; every reject is in the rejects file."""

    job_id: str
    status: Literal["queued", "running", "done", "failed"]
    format: str
    filename: str
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    attempts: int
    error: str | None = None
    progress: dict[str, Any]
    report: dict[str, Any] | None = None
    rejects_path: str = Field(description="Where the rejects file (JSON lines) is on the server.")
    rejects_url: str


def _out(job: ImportJob) -> ImportJobOut:
    return ImportJobOut(
        job_id=job.job_id,
        status=job.status.value,
        format=job.format,
        filename=job.filename,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        attempts=job.attempts,
        error=job.error,
        progress=job.progress,
        report=job.report,
        rejects_path=job.rejects_path,
        rejects_url=f"/imports/{job.job_id}/rejects",
    )


def _options(fields: dict[str, list[str]]) -> dict[str, Any]:
    raw = fields.get("options", [])
    options: Any = {}
    if raw and raw[-1].strip():
        try:
            options = json.loads(raw[-1])
        except ValueError as exc:
            raise InvalidInput(f"options is not JSON: {exc}") from exc
    if not isinstance(options, dict):
        raise InvalidInput("options must be a JSON object")
    if "mapping" in options and not isinstance(options["mapping"], dict):
        raise InvalidInput("options.mapping must be the mapping itself (a JSON object), not a path")
    domains = [d for value in fields.get("own_domains", []) for d in value.split(",") if d.strip()]
    if domains:
        options["own_domains"] = [*options.get("own_domains", []), *domains]
    return options


def _prepare(path: Path, fmt: str | None, folder: Path, limit: int) -> tuple[Path, str]:
    """Unpack an archive and settle the format (disk work: run off the event loop)."""
    if zipfile.is_zipfile(path):
        path = unpack(path, folder / INPUT_DIR, limit=limit)
    return path, fmt or detect_format(path)


MULTIPART_DOC: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The file; .zip for folders."},
                        "format": {"type": "string", "description": "maven, salesforce, hubspot, csv, email, ..."},
                        "options": {"type": "string", "description": 'JSON object, e.g. {"own_domains": ["acme.com"]}'},
                        "own_domains": {"type": "string", "description": "Shorthand: the tenant's email domains."},
                    },
                }
            }
        },
    }
}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportAccepted,
    summary="Upload a file and import it in the background",
    description=(
        "Multipart upload: `file` (a folder format such as `maven` or a Maildir as a .zip), `format` "
        "(detected when omitted), `options` (JSON object: `own_domains` for email/ics, `mapping` for csv, "
        "`namespace`, ...). Returns 202 with a job id at once; the import runs in the background, one at "
        "a time per tenant. The same file imported twice changes nothing. Larger than the limit "
        "(2 GB): 413."
    ),
    openapi_extra=MULTIPART_DOC,
)
async def create_import(
    request: Request, tenant: TenantDep, _: Writer, jobs: JobsDep, limit: UploadLimit
) -> ImportAccepted:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + FORM_OVERHEAD:
        raise HTTPException(413, f"the upload is larger than {limit} bytes")
    job_id, folder = jobs.new_job(tenant)
    try:
        sink = MultipartSink(request.headers.get("content-type"), folder / UPLOAD_DIR, limit=limit)
        try:
            async for chunk in request.stream():
                sink.feed(chunk)
            upload = sink.finish()
        except BaseException:
            sink.abort()
            raise
        assert upload.file_path is not None
        path, fmt = await run_in_threadpool(_prepare, upload.file_path, upload.field("format"), folder, limit)
        options = _options(upload.fields)
        parser_options(fmt, options)  # refuse bad options now, not in the background
    except UploadTooLarge as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(413, exc.message) from exc
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    filename = safe_filename(upload.filename)
    job = jobs.submit(tenant=tenant, job_id=job_id, fmt=fmt, input_path=path, filename=filename, options=options)
    return ImportAccepted(job_id=job.job_id, status=job.status.value, status_url=f"/imports/{job.job_id}")


@router.get("", response_model=list[ImportJobOut], summary="The tenant's import jobs, newest first")
def list_imports(
    tenant: TenantDep, jobs: JobsDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[ImportJobOut]:
    return [_out(j) for j in jobs.list(tenant, limit)]


@router.get("/{job_id}", response_model=ImportJobOut, summary="An import job: status, progress, report")
def get_import(job_id: str, tenant: TenantDep, jobs: JobsDep) -> ImportJobOut:
    return _out(jobs.get(tenant, job_id))


@router.get(
    "/{job_id}/rejects",
    summary="Every reject of an import, as JSON lines",
    response_class=FileResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def get_rejects(job_id: str, tenant: TenantDep, jobs: JobsDep) -> FileResponse:
    job = jobs.get(tenant, job_id)
    path = Path(job.rejects_path)
    if not path.is_file():
        raise NotFound(f"import job {job_id!r} has no rejects file yet")
    return FileResponse(path, media_type="application/x-ndjson", filename=f"rejects-{job_id}.jsonl")
