"""Who is asking: a logged-in user, an API token's user, or an anonymous browser session."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets

from flask import Flask, abort, current_app, g, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import delete

from ..db import ApiToken, Image, LoginSession, User, hash_token, utcnow
from ..extensions import db, login_manager
from ..jobs import Owner


def init_identity(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of a session or remember-me cookie, while its password and its login are still current."""
    ident, _, rest = str(user_id).partition(":")
    fingerprint, _, login_id = rest.partition(":")
    try:
        user = db.session.get(User, int(ident))
    except (TypeError, ValueError):
        return None
    if user is None or not secrets.compare_digest(fingerprint, user.session_fingerprint()):
        return None  # the password changed since this session logged in
    row = db.session.get(LoginSession, hash_token(login_id)) if login_id else None
    if row is None or row.user_id != user.id:
        return None  # logged out (or a cookie from before login sessions existed)
    user.login_session = login_id
    return user


def log_in(user: User, remember: bool = False) -> None:
    """Start a login: a LoginSession row whose id rides in the cookie, and a fresh CSRF token (the anonymous
    page's token must not carry over into the signed-in session)."""
    login_id = secrets.token_urlsafe(24)
    db.session.add(LoginSession(id=hash_token(login_id), user_id=user.id))
    db.session.commit()
    user.login_session = login_id
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)
    login_user(user, remember=remember)


def log_out() -> None:
    """End this login for good: its row goes, so a copy of the cookie is worthless."""
    if current_user.is_authenticated and current_user.login_session:
        db.session.execute(delete(LoginSession).where(LoginSession.id == hash_token(current_user.login_session)))
        db.session.commit()
    logout_user()


def end_other_logins(user: User) -> None:
    """Delete the user's other login rows (their cookies stopped working with the new password anyway)."""
    keep = hash_token(user.login_session) if user.login_session else ""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.id != keep))


def anon_key(create: bool = False) -> str | None:
    """The anonymous session id that owns a visitor's jobs before (or without) an account. Its cookie is
    permanent (PERMANENT_SESSION_LIFETIME: the day the images are kept), so closing the browser keeps them.

    It is derived from the session's CSRF secret when there is one, so two first requests sent at once by a new
    browser (both carrying the cookie of the page, without an anonymous id yet) agree on the same id."""
    key = session.get("anon")
    if key is None and create:
        seed = session.get("csrf_token")
        if seed:
            secret = str(current_app.config["SECRET_KEY"]).encode()
            key = hmac.new(secret, b"anon:" + str(seed).encode(), hashlib.sha256).hexdigest()[:16]
        else:
            key = secrets.token_hex(8)
        session["anon"] = key
        session.permanent = True
    return key


def client_key() -> str:
    """The client's network address as a keyed hash (no address is stored): an IPv6 client counts by its /64,
    the block one customer or host gets, so that it cannot rotate addresses to escape per-address limits."""
    address = request.remote_addr or "unknown"
    try:
        if ipaddress.ip_address(address).version == 6:
            address = str(ipaddress.ip_network(f"{address}/64", strict=False))
    except ValueError:
        pass
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"client:" + address.encode(), hashlib.sha256).hexdigest()[:32]


def web_owner(create: bool = False) -> Owner:
    user_id = current_user.id if current_user.is_authenticated else None
    return Owner(user_id=user_id, session_key=anon_key(create=create and user_id is None), client=client_key())


def bearer_user(header: str | None) -> User | None | bool:
    """The user of an `Authorization: Bearer` token; None if no such header; False if the token is wrong."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    row = ApiToken.find(token.strip())
    if row is None:
        return False
    row.last_used_at = utcnow()
    db.session.commit()
    g.api_token = row
    return row.user


def owns(row, owner: Owner) -> bool:
    """True if the job or image belongs to this user or to this anonymous session."""
    if owner.user_id is not None and row.user_id == owner.user_id:
        return True
    return row.user_id is None and owner.session_key is not None and row.session_key == owner.session_key


def can_view(image, owner: Owner) -> bool:
    return bool(image.public) or owns(image, owner)


def viewable_image(image_id: str, owner: Owner) -> Image:
    """The image if this owner may see it; 404 otherwise (never 403: private ids do not leak)."""
    image = db.session.get(Image, image_id)
    if image is None or not can_view(image, owner):
        abort(404)
    return image
