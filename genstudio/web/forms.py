"""WTForms (Flask-WTF adds the CSRF token to every one of them)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from ..passwords import MIN_LENGTH, is_common

USERNAME = [DataRequired(), Length(3, 32),
            Regexp(r"^[A-Za-z0-9_.\-]+$", message=_l("Use letters, digits, '.', '-' and '_' only."))]


def not_common(_form, field) -> None:
    if field.data and is_common(field.data):
        raise ValidationError(_l("This password is too common: it is among the first that attackers try."))


NEW_PASSWORD = [DataRequired(), Length(MIN_LENGTH, 128), not_common]


class SignupForm(FlaskForm):
    username = StringField(_l("Username"), validators=USERNAME)
    password = PasswordField(_l("Password"), validators=NEW_PASSWORD)
    confirm = PasswordField(_l("Repeat password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("Passwords do not match."))])
    submit = SubmitField(_l("Sign up"))


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(1, 32)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Remember me"))
    submit = SubmitField(_l("Log in"))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=NEW_PASSWORD)
    confirm = PasswordField(_l("Repeat new password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("Passwords do not match."))])
    revoke_tokens = BooleanField(_l("Also revoke all my API tokens"))
    submit = SubmitField(_l("Change password"))


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    submit = SubmitField(_l("Delete my account and all my images"))


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(1, 64)])
    submit = SubmitField(_l("Create token"))


class ActionForm(FlaskForm):
    """A button-only form (share, delete, revoke, log out): just the CSRF token."""
