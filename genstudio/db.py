"""Database models: users, API tokens, jobs and images.

Jobs and images use short random string ids so that URLs cannot be enumerated; users and tokens use
integers. Times are naive UTC. JSON columns hold the recipe and parameters exactly as recorded.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from functools import cache

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ACTIVE = (QUEUED, RUNNING)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_id() -> str:
    return secrets.token_urlsafe(9)  # 12 url-safe characters, 72 random bits


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    login_session = None  # the id of the login (LoginSession) this request came with; not a column

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def revoke_tokens(self) -> int:
        """Delete every API token (tokens are separate credentials: a password change alone keeps them, as
        GitHub does; the user or an operator may end them with it). Returns how many there were."""
        count = len(self.tokens)
        self.tokens.clear()
        return count

    def get_id(self) -> str:
        """Flask-Login's id in the session and the remember-me cookie: the user id, a fingerprint of the password
        hash (changing the password ends every other session) and the login's own id (logging out deletes it, so
        a copied cookie ends too). See web.identity.load_user."""
        return f"{self.id}:{self.session_fingerprint()}:{self.login_session or ''}"

    def session_fingerprint(self) -> str:
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    @classmethod
    def by_name(cls, username: str) -> User | None:
        """The user of that name, whatever its case ("Alice" is "alice")."""
        rows = db.session.scalars(select(cls).where(func.lower(cls.username) == username.lower())).all()
        return next((row for row in rows if row.username == username), rows[0] if rows else None)


Index("uq_users_username_lower", func.lower(User.__table__.c.username), unique=True)  # "Alice" beside "alice": no


@cache
def _unknown_user_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def authenticate(username: str, password: str) -> User | None:
    """The user with this name and password, or None. An unknown name costs a password hash too, so the time
    of the answer does not tell which usernames exist."""
    user = User.by_name(username)
    if user is None:
        check_password_hash(_unknown_user_hash(), password)
        return None
    return user if user.check_password(password) else None


class LoginSession(db.Model):
    """One login of one browser. Its id travels in the signed session (and remember-me) cookie; only its sha256
    is stored. Logging out deletes the row, so a cookie copied before the logout no longer logs anyone in."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its sha256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(back_populates="tokens")

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        """Create a token row; returns it and the plain token (which is not stored)."""
        token = "gs_" + secrets.token_urlsafe(30)
        row = cls(user=user, name=name, token_hash=hash_token(token), prefix=token[:10])
        db.session.add(row)
        return row, token

    @classmethod
    def find(cls, token: str) -> ApiToken | None:
        return db.session.scalar(select(cls).where(cls.token_hash == hash_token(token)))


class Job(db.Model):
    """One generation request. Its state lives here so that any runner (and a restarted server) sees it.

    Owned by a user, or by an anonymous browser session (session_key) whose images are not kept.
    """

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(16), primary_key=True, default=new_id)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_key: Mapped[str | None] = mapped_column(String(32), index=True)
    client_key: Mapped[str | None] = mapped_column(String(32), index=True)  # keyed hash of the client's address
    service: Mapped[str] = mapped_column(String(32), nullable=False)
    model: Mapped[str] = mapped_column(String(64), nullable=False)
    params: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    inputs: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)  # manifest of stored inputs
    only_index: Mapped[int | None] = mapped_column(Integer)  # "make again" of one image: keep only this output
    expected_images: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=QUEUED, index=True)
    progress: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    preview_key: Mapped[str | None] = mapped_column(String(128))
    preview_rev: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    images: Mapped[list[Image]] = relationship(back_populates="job", order_by="Image.index")

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)

    @property
    def cancelled(self) -> bool:
        return self.status == FAILED and self.cancel_requested

    def queue_position(self) -> int | None:
        """1 = next to run; None when not queued. Counted from the database, so every runner agrees."""
        if self.status != QUEUED:
            return None
        ahead = db.session.scalar(
            select(db.func.count(Job.id)).where(Job.status == QUEUED, Job.created_at < self.created_at)
        )
        return int(ahead or 0) + 1


class Image(db.Model):
    """One generated PNG. The recipe reproduces it: service, model, checkpoint, params, index, extra."""

    __tablename__ = "images"

    id: Mapped[str] = mapped_column(String(16), primary_key=True, default=new_id)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_key: Mapped[str | None] = mapped_column(String(32), index=True)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), index=True)
    index: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    service: Mapped[str] = mapped_column(String(32), nullable=False)
    model: Mapped[str] = mapped_column(String(64), nullable=False)
    checkpoint: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    recipe: Mapped[dict] = mapped_column(JSON, nullable=False)
    storage_key: Mapped[str] = mapped_column(String(128), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    width: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    height: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False, index=True)
    shared_at: Mapped[datetime | None] = mapped_column(DateTime)

    job: Mapped[Job | None] = relationship(back_populates="images")
    user: Mapped[User | None] = relationship()
