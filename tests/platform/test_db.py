"""Database tests, run on SQLite and on the PostgreSQL server that `make test` starts."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from genstudio.db import ApiToken, Image, Job, User
from genstudio.extensions import db, studio

from ..conftest import wait_job


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request):
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("pg_url")


def test_migrations_create_exactly_the_models(app):
    with app.app_context():
        names = set(inspect(db.engine).get_table_names())
        assert {"users", "api_tokens", "jobs", "images", "alembic_version"} <= names
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"


def test_rows_round_trip_json_and_unicode(app):
    with app.app_context():
        user = User(username="지민")
        user.set_password("비밀번호-password")
        db.session.add(user)
        _row, token = ApiToken.issue(user, "laptop")
        job = Job(user_id=None, session_key="s", service="toy", model="toy-tiny",
                  params={"seed": 2**31 - 1, "weights": {"blond": 0.5}, "note": "한국어"})
        db.session.add(job)
        db.session.commit()
        image = Image(job=job, user_id=user.id, service="toy", model="toy-tiny", checkpoint="abc",
                      recipe={"params": job.params, "extra": {"term": "안경"}}, storage_key="images/x.png")
        db.session.add(image)
        db.session.commit()
        ids = user.id, job.id, image.id
        db.session.remove()

        user = db.session.get(User, ids[0])
        assert user.check_password("비밀번호-password") and not user.check_password("wrong")
        assert user.password_hash != "비밀번호-password"
        assert ApiToken.find(token).user.id == user.id and ApiToken.find(token + "x") is None
        assert db.session.get(Job, ids[1]).params["weights"] == {"blond": 0.5}
        assert db.session.get(Image, ids[2]).recipe["extra"]["term"] == "안경"
        assert db.session.get(Job, ids[1]).images[0].id == ids[2]


def test_username_is_unique(app):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        for _ in range(2):
            u = User(username="twin")
            u.set_password("password123")
            db.session.add(u)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_job_flow_and_account_deletion(app, client, api_headers):
    response = client.post("/api/v1/jobs", json={"service": "toy", "params": {"count": 2, "steps": 1}},
                           headers=api_headers)
    job = wait_job(client, response.get_json()["url"], api_headers)
    assert job["status"] == "done" and len(job["images"]) == 2
    with app.app_context():
        keys = [im.storage_key for im in db.session.scalars(select(Image))]
        storage = studio(app).storage
        assert all(storage.exists(k) for k in keys)
        from genstudio.web.auth import delete_user

        with app.test_request_context():
            delete_user(User.by_name("tester"))
        assert db.session.scalars(select(Image)).all() == []
        assert db.session.scalars(select(Job)).all() == []
        assert db.session.scalars(select(ApiToken)).all() == []
        assert not any(storage.exists(k) for k in keys)
    assert client.get("/api/v1/services", headers=api_headers).status_code == 401
