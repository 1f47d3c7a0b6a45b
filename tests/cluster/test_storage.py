"""Shared storage backends and the storage quota: images in PostgreSQL, a quota-limited shared folder, and a
full image store seen end to end (a real worker process fills it): a clear error, nothing half-written."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest
from PIL import Image

from genstudio.db import FAILED, Job
from genstudio.db import Image as ImageRow
from genstudio.errors import StorageError, StorageFull
from genstudio.extensions import db, studio
from genstudio.storage import LocalStorage
from genstudio.storage_backends import DatabaseStorage, QuotaLocalStorage, local_files, make_backend

from ..conftest import create_user, token_for
from .conftest import Cluster, admin_pg_url, create_database, drop_database, wait_until

KB = 1024


@pytest.fixture
def pg_storage(pg_url):
    storage = DatabaseStorage(pg_url)
    yield storage
    storage.engine.dispose()


def exercise(storage) -> None:
    storage.put("images/u1/a.png", b"first")
    storage.put("images/u1/a.png", b"second")  # replaces
    storage.put("images/u1_x/b.png", b"other user")  # '_' must not act as a LIKE wildcard below
    storage.put("images/u10/c.png", b"c")
    assert storage.get("images/u1/a.png") == b"second"
    assert storage.exists("images/u1/a.png") and not storage.exists("images/u1/zzz.png")
    with pytest.raises(FileNotFoundError):
        storage.get("images/u1/missing.png")
    with pytest.raises(StorageError):
        storage.put("../etc/passwd", b"x")
    storage.delete_prefix("images/u1")
    assert not storage.exists("images/u1/a.png")
    assert storage.get("images/u1_x/b.png") == b"other user" and storage.get("images/u10/c.png") == b"c"
    storage.delete("images/u10/c.png")
    storage.delete("images/u10/c.png")  # no error when already gone
    assert not storage.exists("images/u10/c.png")


@pytest.mark.postgres
def test_database_storage_on_postgresql(pg_storage):
    exercise(pg_storage)
    assert pg_storage.keys("images/") == ["images/u1_x/b.png"]


def test_database_storage_on_sqlite(tmp_path):
    storage = DatabaseStorage(f"sqlite:///{tmp_path / 'blobs.db'}")
    exercise(storage)


@pytest.mark.postgres
def test_postgres_quota_refuses_cleanly_and_holds_under_concurrency(pg_url):
    storage = DatabaseStorage(pg_url, quota=10 * KB)
    storage.put("images/a.png", b"a" * 6 * KB)
    with pytest.raises(StorageFull, match="storage is full"):
        storage.put("images/b.png", b"b" * 6 * KB)
    assert not storage.exists("images/b.png") and storage.usage() == 6 * KB
    storage.put("images/a.png", b"a" * 9 * KB)  # replacing counts only the difference
    storage.delete("images/a.png")
    refused: list[str] = []

    def writer(i: int) -> None:
        try:
            storage.put(f"images/t{i}.png", b"x" * 3 * KB)
        except StorageFull:
            refused.append(str(i))
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert storage.usage() == 9 * KB and len(refused) == 5  # never over the quota, whatever the interleaving
    storage.engine.dispose()


def test_local_quota_refuses_cleanly(tmp_path):
    storage = make_backend({"STORAGE_BACKEND": "local", "STORAGE_PATH": str(tmp_path / "s"), "STORAGE_QUOTA_MB": 0.01})
    assert isinstance(storage, QuotaLocalStorage)
    storage.put("images/a.png", b"a" * 6 * KB)
    with pytest.raises(StorageFull, match="quota 0.01 MB"):
        storage.put("images/b.png", b"b" * 6 * KB)
    assert local_files(storage.root) == ["images/a.png"]  # no temporary or partial file left behind
    assert isinstance(make_backend({"STORAGE_BACKEND": "local", "STORAGE_PATH": str(tmp_path / "t")}), LocalStorage)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tiny tmpfs needs root")
def test_a_really_full_disk_is_a_clear_error_and_leaves_no_partial_file(tmp_path):
    import subprocess

    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)]).returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        storage = QuotaLocalStorage(mount, quota=10 * 1024 * 1024)  # quota far above the disk: the disk fills
        with pytest.raises(StorageFull, match="storage is full"):
            for i in range(100):
                storage.put(f"images/{i}.png", os.urandom(16 * KB))
        for key in local_files(mount):
            assert not Path(key).name.startswith(".tmp-"), key
            assert len(storage.get(key)) == 16 * KB  # every file that exists is whole
    finally:
        subprocess.run(["umount", str(mount)], check=False)


# ---- end to end: a worker process fills the quota ----

def png(size=(40, 40)) -> bytes:
    buf = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def quota_cluster(tmp_path_factory, cluster_weights_env):
    admin = admin_pg_url()
    url = create_database(admin)
    cluster = Cluster(tmp_path_factory.mktemp("quota"), url, cluster_weights_env, GENSTUDIO_STORAGE_QUOTA_MB="0.025")
    try:
        cluster.start_worker("w-quota")
        yield cluster
    finally:
        cluster.stop()
        drop_database(admin, url)


@pytest.mark.postgres
@pytest.mark.redis
def test_full_image_storage_fails_the_job_clearly_and_writes_nothing_half(quota_cluster):
    app = quota_cluster.app  # the web side runs in this process (same configuration as the worker)
    storage = studio(app).storage
    assert storage.quota == int(0.025 * 1024 * 1024)
    create_user(app, "filler", "correct horse battery")
    headers = {"Authorization": f"Bearer {token_for(app, 'filler')}"}
    client = app.test_client()
    jobs = []
    for _ in range(6):  # 4 PNGs of about 2.2 KB per job: 25 KB holds two jobs and part of a third
        response = client.post("/api/v1/jobs", json={"service": "toy", "params": {"count": 4, "steps": 1}},
                               headers=headers)
        assert response.status_code == 202, response.get_json()
        job_id = response.get_json()["id"]
        wait_until(lambda job_id=job_id: quota_cluster.db_job(job_id).status in ("done", "failed"), 60,
                   f"job {job_id}\n{quota_cluster.logs()}")
        jobs.append(quota_cluster.db_job(job_id))
        if jobs[-1].status == FAILED:
            break
    failed = jobs[-1]
    assert failed.status == FAILED, [j.status for j in jobs]
    assert "storage is full" in failed.error and "GENSTUDIO_STORAGE_QUOTA_MB" in failed.error
    with app.app_context():
        rows = db.session.scalars(db.select(ImageRow)).all()
        assert not [r for r in rows if r.job_id == failed.id]  # no image of the failed job was kept
        assert sorted(r.storage_key for r in rows) == storage.keys("images/")  # every row has its file, and back
    assert set(storage.keys("previews/")) <= {f"previews/{j.id}.png" for j in jobs}  # kept a while, then removed
    assert storage.usage() <= storage.quota
    # an upload that does not fit: 507 with the reason, no job and no stored input
    storage.put("images/filler.bin", b"x" * (storage.quota - storage.usage()))
    with app.app_context():
        before = db.session.scalar(db.select(db.func.count(Job.id)))
    response = client.post("/api/v1/jobs", data={"service": "toyedit", "params": "{}", "image": (io.BytesIO(png()),
                                                                                                  "p.png")},
                           headers=headers, content_type="multipart/form-data")
    assert response.status_code == 507, response.get_json()
    assert "storage is full" in response.get_json()["error"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Job.id))) == before
    assert storage.keys("inputs/") == []
