"""/login and /logout: a plain Flask form (Flask-WTF: CSRF token; Flask-Limiter: attempts)."""
from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, make_response, redirect, render_template_string, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .. import auth, login_limits, sessions

blueprint = Blueprint("login", __name__)


class LoginForm(FlaskForm):
    username = StringField("Nama pengguna", validators=[DataRequired(), Length(max=100)])
    password = PasswordField("Kata sandi", validators=[DataRequired(), Length(max=200)])


PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Masuk · Pantau</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/pantau.css"></head>
<body class="login-body"><main class="login-box">
<h1>Pantau</h1><p class="muted">{{ region }}</p>
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="/login{% if next %}?next={{ next|urlencode }}{% endif %}">
  {{ form.csrf_token }}
  <label for="username">Nama pengguna</label>{{ form.username(id="username", autocomplete="username", autofocus=True) }}
  <label for="password">Kata sandi</label>{{ form.password(id="password", autocomplete="current-password") }}
  <button type="submit" id="login-button">Masuk</button>
</form></main></body></html>"""


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect would make the login page a phishing aid."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _refused(who: str):
    """The login page saying when this account (or address) may try again: 429."""
    def on_breach(limit):
        rt = current_app.extensions["pantau"]
        error = login_limits.retry_message(who, limit.reset_at, time.time(), rt.config.zone)
        return make_response(_page(rt, LoginForm(), error), 429)
    return on_breach


def _page(rt, form, error):
    return render_template_string(PAGE, form=form, error=error, region=rt.config.region.name,
                                  next=request.args.get("next"))


def install(server) -> Limiter:
    """/login and /logout on `server`, with a Limiter of this app's own: a module-level one
    would keep one storage and key prefix for every app of the process, so with several
    regions (dashboard/regions.py) one region's failed logins would lock another's user of
    the same name. The limiter is server.extensions["pantau_limiter"]."""
    limiter = Limiter(get_remote_address, default_limits=[])
    limiter.init_app(server)
    # only failed attempts count: per account, and (looser) per client address
    limited = limiter.limit(login_limits.account_limit, key_func=login_limits.account_key, methods=["POST"],
                            deduct_when=login_limits.failed, on_breach=_refused("account"),
                            scope="login-account")(
        limiter.limit(login_limits.address_limit, key_func=login_limits.address_key, methods=["POST"],
                      deduct_when=login_limits.failed, on_breach=_refused("address"), scope="login-address")(login))
    server.register_blueprint(blueprint)
    server.add_url_rule("/login", "login.login", limited, methods=["GET", "POST"])
    server.extensions["pantau_limiter"] = limiter
    return limiter


def login():
    rt = current_app.extensions["pantau"]
    form = LoginForm()
    error = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            row = auth.authenticate(rt, form.username.data, form.password.data)
            if row:
                session.clear()  # a fresh session at login (no fixation)
                g.pop("csrf_token", None)  # so the CSRF token is re-issued into the new session
                session.permanent = True
                session["login_at"] = dt.datetime.now(dt.timezone.utc).timestamp()
                sessions.start(rt, row["id"])
                login_user(auth.DashboardUser(row))
                if row["must_change_password"]:   # BKPP's temporary password: /password first
                    session[auth.MUST_CHANGE] = True
                    return redirect("/password")
                return redirect(_safe_next(request.args.get("next")))
        error = "Nama pengguna atau kata sandi salah. / Wrong username or password."
        status = 401
    return _page(rt, form, error), status


LOGOUT_PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Keluar · Pantau</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/pantau.css"></head>
<body class="login-body"><main class="login-box">
<h1>Pantau</h1><p>Keluar dari Pantau?</p>
<form method="post" action="/logout">
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  <button type="submit" id="logout-button">Keluar</button>
</form></main></body></html>"""


@blueprint.route("/logout", methods=["GET", "POST"])
def logout():
    """POST (with the CSRF token) ends the session on the server; GET only asks, so a link
    or an image on another page cannot log anyone out."""
    if request.method == "GET":
        return render_template_string(LOGOUT_PAGE)
    sessions.end(current_app.extensions["pantau"])
    logout_user()
    session.clear()
    return redirect("/login")
