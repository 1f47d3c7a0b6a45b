"""Who is asking: a logged-in user, an API token's user, or an anonymous browser session."""

from __future__ import annotations

import secrets

from flask import Flask, abort, g, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..db import ApiToken, Image, User, utcnow
from ..extensions import db, login_manager
from ..jobs import Owner


def init_identity(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    ident, _, fingerprint = str(user_id).partition(":")
    try:
        user = db.session.get(User, int(ident))
    except (TypeError, ValueError):
        return None
    if user is None or not secrets.compare_digest(fingerprint, user.session_fingerprint()):
        return None  # the password changed since this session logged in
    return user


def anon_key(create: bool = False) -> str | None:
    """The anonymous session id that owns a visitor's jobs before (or without) an account. Its cookie is
    permanent (PERMANENT_SESSION_LIFETIME: the day the images are kept), so closing the browser keeps them."""
    key = session.get("anon")
    if key is None and create:
        key = session["anon"] = secrets.token_hex(8)
        session.permanent = True
    return key


def web_owner(create: bool = False) -> Owner:
    user_id = current_user.id if current_user.is_authenticated else None
    return Owner(user_id=user_id, session_key=anon_key(create=create and user_id is None))


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
