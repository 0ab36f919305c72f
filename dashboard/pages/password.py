"""/password: a logged-in user changes their own password (a plain Flask form, like /login:
CSRF token, the current password asked again). Every other session of the user ends with it,
and the change is audit-logged; an administrator's reset (`pantau users password`) ends all.
A login made with a temporary password from BKPP (/admin/users) comes here first and opens
nothing else until it has chosen its own (dashboard/app.py, _only_password).
"""
from __future__ import annotations

from flask import current_app, redirect, render_template_string, session
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from queries import audit, users as user_queries

from .. import auth, sessions
from ..logins import MIN_PASSWORD

MIN_LENGTH = MIN_PASSWORD   # as `pantau users add|password` and /admin/users


class PasswordForm(FlaskForm):
    current = PasswordField("Kata sandi sekarang", validators=[DataRequired(), Length(max=200)])
    new = PasswordField("Kata sandi baru", validators=[
        DataRequired(), Length(min=MIN_LENGTH, max=200, message=(
            f"Kata sandi baru minimal {MIN_LENGTH} karakter. / The new password needs at least {MIN_LENGTH} characters."))])
    again = PasswordField("Ulangi kata sandi baru", validators=[DataRequired(), EqualTo("new", message=(
        "Kedua kata sandi baru tidak sama. / The two new passwords differ."))])


PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Ganti kata sandi · Pantau</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/pantau.css"></head>
<body class="login-body"><main class="login-box">
<h1>Ganti kata sandi</h1><p class="muted">{{ username }}</p>
{% if temporary %}<p class="warning" id="password-temporary">Anda masuk dengan kata sandi sementara dari BKPP.
Gantilah dengan kata sandi Anda sendiri sebelum melanjutkan. / You logged in with a temporary password from BKPP:
choose your own before going on.</p>{% endif %}
{% for error in errors %}<p class="error" role="alert">{{ error }}</p>{% endfor %}
{% if done %}<p class="done" role="status" id="password-done">Kata sandi diganti; sesi Anda di perangkat lain
({{ ended }}) telah diakhiri.</p><p><a href="/">Kembali ke Pantau</a></p>{% else %}
<form method="post" action="/password">
  {{ form.csrf_token }}
  <label for="current">Kata sandi sekarang</label>{{ form.current(id="current", autocomplete="current-password") }}
  <label for="new">Kata sandi baru</label>{{ form.new(id="new", autocomplete="new-password") }}
  <label for="again">Ulangi kata sandi baru</label>{{ form.again(id="again", autocomplete="new-password") }}
  <button type="submit" id="password-button">Ganti kata sandi</button>
</form><p>{% if temporary %}<a href="/logout">Keluar</a>{% else %}<a href="/">Batal</a>{% endif %}</p>{% endif %}
</main></body></html>"""

WRONG = "Kata sandi sekarang salah. / The current password is wrong."


def install(server, limiter) -> None:
    """/password on `server`, limited by the app's own limiter (dashboard/pages/login.py)."""
    # a session left open on someone's desk must not become a way to guess the password
    limited = limiter.limit("10 per hour", key_func=lambda: f"password:{current_user.get_id()}",
                            methods=["POST"], scope="password-change")(change)
    server.add_url_rule("/password", "password.change", limited, methods=["GET", "POST"])


def change():
    if not current_user.is_authenticated:
        return redirect("/login?next=/password")
    rt = current_app.extensions["pantau"]
    form = PasswordForm()
    errors: list[str] = []
    if form.validate_on_submit():
        if auth.authenticate(rt, current_user.username, form.current.data) is None:
            errors.append(WRONG)
        else:
            with rt.transaction() as conn:   # chosen by its owner: no longer a temporary password
                user_queries.set_password(conn, int(current_user.id), auth.hash_password(form.new.data))
                ended = sessions.end_others(conn, int(current_user.id))
                audit.record(conn, current_user.username, "user.password", current_user.username,
                             "diganti sendiri", after={"sessions_ended": ended})
            session.pop(auth.MUST_CHANGE, None)
            return render_template_string(PAGE, form=form, errors=[], done=True, ended=ended,
                                          username=current_user.username)
    else:
        errors = [e for field_errors in form.errors.values() for e in field_errors]
    status = 400 if errors else 200
    return render_template_string(PAGE, form=form, errors=errors, done=False, username=current_user.username,
                                  temporary=session.get(auth.MUST_CHANGE, False)), status
