"""POST /imports (multipart upload, background job), GET /imports/{job_id}, against the real store."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.main import create_app
from api.routers import duplicates, imports
from api.settings import Settings
from graph.backends.embedded import LadybugStore
from importers.jobs import ImportJobs, JobStatus
from tests.importers.helpers import FIXTURES, data_dir

H = dict[str, str]
MBOX = (
    b"From a@b Tue Mar  5 10:15:42 2024\nMessage-ID: <m1@ourco.example>\nDate: Tue, 05 Mar 2024 10:15:42 +0100\n"
    b"From: Ann <ann@ourco.example>\nTo: Bob <bob@client.example>\nSubject: hello\n\nhi Bob\n\n"
    b"From a@b Tue Mar  5 11:15:42 2024\nMessage-ID: <m2@client.example>\nDate: Tue, 05 Mar 2024 11:15:42 +0100\n"
    b"From: Bob <bob@client.example>\nTo: Ann <ann@ourco.example>\nSubject: Re: hello\n\nhi Ann\n\n"
    b"From a@b Tue Mar  5 12:15:42 2024\nMessage-ID: <m3@client.example>\nSubject: no date, no sender\n\nx\n"
)


def app_with_routers(settings: Settings, store: LadybugStore) -> FastAPI:
    """The app, with the import and duplicate routers mounted if ``api.main`` does not yet."""
    app = create_app(settings, store=store)
    paths = {getattr(r, "path", "") for r in app.routes}
    for module, path in ((imports, "/imports"), (duplicates, "/duplicates")):
        if path not in paths:
            app.include_router(module.router)
    return app


@pytest.fixture
def api(store: LadybugStore, settings: Settings) -> Iterator[TestClient]:
    with TestClient(app_with_routers(settings, store)) as c:
        yield c


def _upload(client: TestClient, h: H, name: str, data: bytes, **fields: Any) -> Any:
    form = {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in fields.items()}
    return client.post("/imports", files={"file": (name, data)}, data=form, headers=h)


def _wait(client: TestClient, h: H, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/imports/{job_id}", headers=h).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['status']}")


def test_upload_runs_in_background_and_reports(api: TestClient, keys: dict[str, H], settings: Settings) -> None:
    h = keys["rep"]
    r = _upload(api, h, "mail.mbox", MBOX, format="email", options={"own_domains": ["ourco.example"]})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    job = _wait(api, h, job_id)
    assert job["status"] == "done", job
    report = job["report"]
    assert report["nodes"]["Interaction"]["created"] == 2
    assert report["nodes"]["Rep"]["created"] == 1 and report["nodes"]["Contact"]["created"] == 1
    assert report["rels"]["KNOWS"]["created"] == 1
    assert report["rejected_total"] == 1
    reject = report["rejects"][0]
    assert reject["location"] == "message 3" and "Date" in reject["reason"]
    stored = Path(job["rejects_path"])
    assert stored.is_file() and stored.is_relative_to(Path(settings.data_dir) / "imports" / "acme" / job_id)
    assert not (stored.parent / "upload").exists()  # the upload goes once imported
    lines = api.get(job["rejects_url"], headers=h).text.splitlines()
    assert [json.loads(line)["location"] for line in lines] == ["message 3"]
    listed = api.get("/imports", headers=keys["viewer"]).json()
    assert [j["job_id"] for j in listed] == [job_id]
    # the same file again: nothing changes
    again = _wait(api, h, _upload(api, h, "mail.mbox", MBOX, own_domains="ourco.example").json()["job_id"])
    assert again["format"] == "email"  # detected
    counts = [*again["report"]["nodes"].values(), *again["report"]["rels"].values()]
    assert sum(c["created"] + c["updated"] for c in counts) == 0


def test_zip_of_a_folder_format(api: TestClient, admin: H) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in sorted(data_dir("maven-crm").glob("*.csv")):
            zf.write(path, f"maven-crm/{path.name}")
    r = _upload(api, admin, "maven.zip", buffer.getvalue(), format="maven")
    assert r.status_code == 202, r.text
    job = _wait(api, admin, r.json()["job_id"], timeout=300)
    assert job["status"] == "done", job
    assert job["report"]["nodes"]["Deal"]["created"] == 8800
    assert api.get("/deals?limit=1", headers=admin).json()["items"]


def test_refusals(api: TestClient, keys: dict[str, H], settings: Settings) -> None:
    viewer = _upload(api, keys["viewer"], "mail.mbox", MBOX, format="email")
    assert viewer.status_code == 403
    assert api.post("/imports", files={"file": ("m.mbox", MBOX)}).status_code == 401
    bad_format = _upload(api, keys["rep"], "mail.mbox", MBOX, format="pdf")
    assert bad_format.status_code == 400 and "unknown import format" in bad_format.json()["error"]["message"]
    bad_option = _upload(api, keys["rep"], "mail.mbox", MBOX, format="email", options={"colour": "red"})
    assert bad_option.status_code == 400 and "unknown option" in bad_option.json()["error"]["message"]
    path_mapping = _upload(api, keys["rep"], "x.csv", b"id\n1\n", format="csv", options={"mapping": "/etc/passwd"})
    assert path_mapping.status_code == 400
    not_json = _upload(api, keys["rep"], "mail.mbox", MBOX, format="email", options="{nope")
    assert not_json.status_code == 400
    no_file = api.post("/imports", data={"format": "email"}, headers=keys["rep"])
    assert no_file.status_code == 400
    unsafe = io.BytesIO()
    with zipfile.ZipFile(unsafe, "w") as zf:
        zf.writestr("../../evil.csv", "x")
    assert _upload(api, keys["rep"], "x.zip", unsafe.getvalue(), format="maven").status_code == 400
    assert not list((Path(settings.data_dir) / "imports").glob("acme/*"))  # refused uploads leave nothing


def test_size_limit_is_413(api: TestClient, keys: dict[str, H]) -> None:
    api.app.dependency_overrides[imports.upload_limit] = lambda: 1000  # type: ignore[attr-defined]
    r = _upload(api, keys["rep"], "big.mbox", MBOX * 20, format="email")
    assert r.status_code == 413 and r.json()["error"]["code"] == "http_error"
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mail.mbox", b"\n" * 100_000)
    assert len(bomb.getvalue()) < 1000
    assert _upload(api, keys["rep"], "bomb.zip", bomb.getvalue(), format="email").status_code == 413


def test_jobs_are_tenant_scoped(api: TestClient, keys: dict[str, H]) -> None:
    job_id = _upload(api, keys["rep"], "mail.mbox", MBOX, format="email").json()["job_id"]
    _wait(api, keys["rep"], job_id)
    assert api.get(f"/imports/{job_id}", headers=keys["other"]).status_code == 404
    assert api.get(f"/imports/{job_id}/rejects", headers=keys["other"]).status_code == 404
    assert api.get("/imports/not-a-job-id", headers=keys["rep"]).status_code == 404
    assert api.get("/imports", headers=keys["other"]).json() == []


def test_failed_job_reports_why(api: TestClient, keys: dict[str, H]) -> None:
    r = _upload(api, keys["rep"], "meetings.ics", (FIXTURES / "ics" / "meetings.ics").read_bytes(), format="maven")
    job = _wait(api, keys["rep"], r.json()["job_id"])
    assert job["status"] == "failed" and "not a folder" in job["error"]


def test_one_import_at_a_time_per_tenant_and_resume(store: LadybugStore, tmp_path: Path) -> None:
    running: list[str] = []
    overlaps: list[tuple[str, str]] = []

    def slow_runner(**kwargs: Any) -> Any:
        from importers.report import ImportReport

        tenant = kwargs["tenant"]
        if tenant in running:
            overlaps.append((tenant, str(kwargs["path"])))
        running.append(tenant)
        time.sleep(0.2)
        running.remove(tenant)
        return ImportReport(source=str(kwargs["path"])).finish()

    jobs = ImportJobs(store, tmp_path / "imports", runner=slow_runner)
    ids = []
    for tenant in ("acme", "acme", "acme", "globex"):
        job_id, folder = jobs.new_job(tenant)
        ids.append((tenant, job_id))
        jobs.submit(tenant=tenant, job_id=job_id, fmt="email", input_path=folder, filename="x", options={})
    for tenant, job_id in ids:
        assert jobs.wait(tenant, job_id, timeout=10).status is JobStatus.DONE
    assert overlaps == []
    # a job a stopped server left "running" is queued again on the next start
    job_id, folder = jobs.new_job("acme")
    job = jobs.submit(tenant="acme", job_id=job_id, fmt="email", input_path=folder, filename="x", options={})
    jobs.wait("acme", job_id)
    path = folder / "job.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "status": "running"}))
    fresh = ImportJobs(store, tmp_path / "imports", runner=slow_runner)
    assert fresh.resume_pending() == 1
    resumed = fresh.wait("acme", job.job_id, timeout=10)
    assert resumed.status is JobStatus.DONE and resumed.attempts == 2


def test_a_finished_job_is_on_disk_before_anyone_sees_it_finished(
    store: LadybugStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``wait`` (and GET /imports/{id}) report a job done only once its file says so: a save still
    on its way would otherwise overwrite whatever a reader does next with the file (as a restart's
    resume does)."""
    from importers.report import ImportReport

    jobs = ImportJobs(store, tmp_path / "imports", runner=lambda **kw: ImportReport(source="x").finish())
    save = jobs._save

    def slow_save(job: Any) -> None:
        if job.status is JobStatus.DONE:
            time.sleep(0.3)  # the final save is slow (a busy disk)
        save(job)

    monkeypatch.setattr(jobs, "_save", slow_save)
    job_id, folder = jobs.new_job("acme")
    jobs.submit(tenant="acme", job_id=job_id, fmt="email", input_path=folder, filename="x", options={})
    assert jobs.wait("acme", job_id, timeout=10).status is JobStatus.DONE
    assert json.loads((folder / "job.json").read_text())["status"] == "done"
