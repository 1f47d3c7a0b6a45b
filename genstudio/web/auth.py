"""Accounts: sign up, log in, log out, profile (API tokens, password, delete account)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select, update

from ..db import ApiToken, Image, Job, User, authenticate
from ..extensions import db, limiter, studio
from .forms import ActionForm, DeleteAccountForm, LoginForm, PasswordForm, SignupForm, TokenForm
from .identity import end_other_logins, log_in, log_out

bp = Blueprint("auth", __name__, url_prefix="/auth")


def safe_next(default: str) -> str:
    """Only same-site relative paths: never an open redirect."""
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc and not parts.scheme:
        return target
    return default


def adopt_anonymous(user: User) -> int:
    """Keep what the visitor made before logging in: their session's jobs and images move to the account."""
    key = session.pop("anon", None)
    if not key:
        return 0
    moved = db.session.execute(
        update(Image).where(Image.user_id.is_(None), Image.session_key == key)
        .values(user_id=user.id, session_key=None)).rowcount
    db.session.execute(
        update(Job).where(Job.user_id.is_(None), Job.session_key == key).values(user_id=user.id, session_key=None))
    db.session.commit()
    return moved


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignupForm()
    if form.validate_on_submit():
        if User.by_name(form.username.data) is not None:
            form.username.errors.append(_("That username is taken."))
        else:
            user = User(username=form.username.data)
            user.set_password(form.password.data)
            db.session.add(user)
            db.session.commit()
            log_in(user)
            kept = adopt_anonymous(user)
            flash(_("Welcome to GenStudio, %(name)s!", name=user.username), "success")
            if kept:
                flash(_("The %(n)d image(s) you made before signing up are in your gallery.", n=kept), "info")
            return redirect(safe_next(url_for("main.index")))
    return render_template("auth/signup.html", form=form)


def login_ip_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_IP"]


def login_account_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"]


def login_account_key() -> str:
    """Failed logins count per account name too (whatever its case, known or not), so that guessing one
    account's password from many addresses is as slow as from one."""
    return "login:" + (request.form.get("username") or "").strip().lower()[:64]


def login_failed(response) -> bool:
    return response.status_code != 302  # a successful login redirects


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_ip_limit, methods=["POST"])
@limiter.limit(login_account_limit, methods=["POST"], key_func=login_account_key, deduct_when=login_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            flash(_("Wrong username or password."), "danger")
        else:
            log_in(user, remember=form.remember.data)
            adopt_anonymous(user)
            flash(_("Logged in as %(name)s.", name=user.username), "success")
            return redirect(safe_next(url_for("main.index")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    if ActionForm().validate_on_submit():
        lang = session.get("lang")
        log_out()
        session.clear()
        if lang:
            session["lang"] = lang
        flash(_("You have been logged out."), "info")
    return redirect(url_for("main.index"))


@bp.get("/profile")
@login_required
def profile():
    return render_profile()


def render_profile(new_token: str | None = None, **forms):
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at.desc())).all()
    counts = {
        "images": db.session.scalar(select(db.func.count(Image.id)).where(Image.user_id == current_user.id)),
        "public": db.session.scalar(select(db.func.count(Image.id)).where(
            Image.user_id == current_user.id, Image.public.is_(True))),
    }
    return render_template(
        "auth/profile.html", tokens=tokens, new_token=new_token, counts=counts,
        token_form=forms.get("token_form") or TokenForm(), password_form=forms.get("password_form") or PasswordForm(),
        delete_form=forms.get("delete_form") or DeleteAccountForm(), action_form=ActionForm())


@bp.post("/tokens")
@login_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return render_profile(token_form=form), 422
    _row, token = ApiToken.issue(current_user, form.name.data)
    db.session.commit()
    flash(_("Token created. Copy it now: it is shown only once."), "success")
    return render_profile(new_token=token, token_form=TokenForm(formdata=None))


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != current_user.id or not ActionForm().validate_on_submit():
        return redirect(url_for("auth.profile"))
    db.session.delete(row)
    db.session.commit()
    flash(_("Token “%(name)s” revoked.", name=row.name), "info")
    return redirect(url_for("auth.profile"))


@bp.post("/password")
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("That is not your current password."))
        else:
            current_user.set_password(form.password.data)
            revoked = current_user.revoke_tokens() if form.revoke_tokens.data else 0
            end_other_logins(current_user)
            db.session.commit()
            login_user(current_user._get_current_object())  # this session stays in; every other one is ended
            flash(_("Your password has been changed."), "success")
            if revoked:
                flash(_("%(count)d API token(s) revoked.", count=revoked), "info")
            return redirect(url_for("auth.profile"))
    return render_profile(password_form=form), 422


@bp.post("/delete")
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.password.data):
            form.password.errors.append(_("That is not your password."))
        else:
            delete_user(current_user._get_current_object())
            logout_user()
            session.clear()
            flash(_("Your account and all your images have been deleted."), "info")
            return redirect(url_for("main.index"))
    return render_profile(delete_form=form), 422


def delete_user(user: User) -> None:
    """Remove the user, their tokens, jobs, images and uploaded inputs (rows and files)."""
    from ..jobs.inputs import delete_inputs
    from ..jobs.state import request_cancel

    st = studio()
    user_id = user.id
    jobs = db.session.scalars(select(Job).where(Job.user_id == user_id)).all()
    for job in jobs:
        request_cancel(job)  # a running one stops at its next progress report
    db.session.commit()
    for image in db.session.scalars(select(Image).where(Image.user_id == user_id)).all():
        st.storage.delete(image.storage_key)
        db.session.delete(image)
    for job in jobs:
        delete_inputs(st.storage, job.inputs)
        if job.preview_key:
            st.storage.delete(job.preview_key)
        db.session.delete(job)
    db.session.delete(user)
    db.session.commit()
    st.storage.delete_prefix(f"images/u{user_id}")
    st.storage.delete_prefix(f"inputs/u{user_id}")
