"""pantau users add|list|disable|enable|password; pantau kiosk add|list|revoke. Every change is audited."""
from __future__ import annotations

import getpass
import sys

from sqlalchemy.exc import IntegrityError

from queries import audit, users as q

ROLES = ("kepala_daerah", "sekda", "bkpp", "inspektorat", "kepala_unit", "admin_unit", "provinsi")


def register(sub) -> None:
    p = sub.add_parser("users", help="dashboard logins")
    us = p.add_subparsers(dest="users_command", metavar="ACTION")
    add = _command(us, "add", "create a login", _add)
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--unit", help="unit code (required for kepala_unit / admin_unit)")
    add.add_argument("--name", default="", help="full name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    _command(us, "list", "list logins", _list)
    dis = _command(us, "disable", "disable a login", _disable, actor=True)
    dis.add_argument("username")
    dis.add_argument("--reason", required=True)
    ena = _command(us, "enable", "let a disabled login log in again", _enable, actor=True)
    ena.add_argument("username")
    ena.add_argument("--reason", required=True)
    pw = _command(us, "password", "set a new password", _password, actor=True)
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true")
    _actor(add)
    p.set_defaults(handler=lambda a: p.print_help() or 2)

    k = sub.add_parser("kiosk", help="read-only links for the wall display")
    ks = k.add_subparsers(dest="kiosk_command", metavar="ACTION")
    kadd = _command(ks, "add", "create a kiosk link and print it once", _kiosk_add, actor=True)
    kadd.add_argument("label")
    kadd.add_argument("--show-names", action="store_true", help="show employee names in the ticker")
    kadd.add_argument("--base-url", default="http://localhost:8050")
    _command(ks, "list", "list kiosk links", _kiosk_list)
    krev = _command(ks, "revoke", "revoke a kiosk link (the TV goes blank within 30 s)", _kiosk_revoke, actor=True)
    krev.add_argument("id", type=int)
    krev.add_argument("--reason", default="")
    k.set_defaults(handler=lambda a: k.print_help() or 2)


def _command(subparsers, name: str, help_text: str, handler, actor: bool = False):
    parser = subparsers.add_parser(name, help=help_text)
    parser.set_defaults(handler=handler)
    if actor:
        _actor(parser)
    return parser


def _actor(parser) -> None:
    parser.add_argument("--actor", default=getpass.getuser(), help="who makes the change (audit log)")


def _runtime():
    from foundation.runtime import boot

    return boot()


def _read_password(args) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            raise SystemExit("error: the passwords differ")
    from dashboard.logins import MIN_PASSWORD

    if len(password) < MIN_PASSWORD:
        raise SystemExit(f"error: the password must have at least {MIN_PASSWORD} characters")
    return password


def _add(args) -> int:
    from dashboard.auth import UNIT_ROLES, hash_password

    rt = _runtime()
    if args.role in UNIT_ROLES and not args.unit:
        print(f"error: --unit is required for role {args.role}", file=sys.stderr)
        return 2
    if args.unit and args.unit not in rt.config.unit_by_code:
        print(f"error: --unit {args.unit!r} is not a unit code in {rt.settings.config_path}", file=sys.stderr)
        return 2
    password = _read_password(args)
    try:
        with rt.transaction() as conn:
            row = q.add_user(conn, args.username, hash_password(password), args.role,
                             args.unit if args.role in UNIT_ROLES else None, args.name)
            audit.record(conn, args.actor, "user.add", args.username,
                         after={"role": row["role"], "unit_code": row["unit_code"], "full_name": row["full_name"]})
    except IntegrityError:
        print(f"error: user {args.username!r} already exists", file=sys.stderr)
        return 1
    print(f"user {args.username} ({args.role}) created")
    return 0


def _print_all(fetch, line) -> int:
    with _runtime().connection() as conn:
        for row in fetch(conn):
            print(line(row))
    return 0


def _list(args) -> int:
    return _print_all(q.list_users, lambda u: f"{u['username']:<20} {u['role']:<14} {u['unit_code'] or '-':<12} "
                                              f"{'active' if u['active'] else 'disabled'}")


def _change(args, change):
    from dashboard.logins import LoginError

    rt = _runtime()
    try:
        with rt.transaction() as conn:
            return change(conn)
    except LoginError as exc:
        raise SystemExit(f"error: {exc.message_en}") from None


def _disable(args) -> int:
    from dashboard import logins

    done = _change(args, lambda conn: logins.disable(conn, args.username, args.actor, args.reason, own_ok=True))
    print(f"user {done.username} disabled; {done.sessions_ended} session(s) ended")
    return 0


def _enable(args) -> int:
    from dashboard import logins

    done = _change(args, lambda conn: logins.enable(conn, args.username, args.actor, args.reason, own_ok=True))
    print(f"user {done.username} enabled")
    return 0


def _password(args) -> int:
    from dashboard import logins

    password = _read_password(args)
    done = _change(args, lambda conn: logins.set_password(conn, args.username, args.actor, "reset oleh admin",
                                                          password, own_ok=True))
    print(f"password of {done.username} changed; {done.sessions_ended} session(s) ended")
    return 0


def _kiosk_add(args) -> int:
    from dashboard.auth import hash_token, new_kiosk_token

    rt = _runtime()
    token = new_kiosk_token()
    with rt.transaction() as conn:
        row = q.add_kiosk_token(conn, args.label, hash_token(token), args.show_names, args.actor)
        audit.record(conn, args.actor, "kiosk.add", f"kiosk:{row['id']}",
                     after={"label": args.label, "show_names": args.show_names})
    print(f"kiosk link {row['id']} ({args.label}); shown once, keep it:")
    print(f"{args.base_url.rstrip('/')}/wall?kiosk={token}")
    return 0


def _kiosk_list(args) -> int:
    return _print_all(q.list_kiosk_tokens, lambda t: (
        f"{t['id']:>4} {t['label']:<30} names={'yes' if t['show_names'] else 'no'} "
        + (f"revoked {t['revoked_at']:%Y-%m-%d}" if t["revoked_at"] else "active")))


def _kiosk_revoke(args) -> int:
    rt = _runtime()
    with rt.transaction() as conn:
        if not q.revoke_kiosk_token(conn, args.id):
            print(f"error: no active kiosk link {args.id}", file=sys.stderr)
            return 1
        audit.record(conn, args.actor, "kiosk.revoke", f"kiosk:{args.id}", args.reason)
    print(f"kiosk link {args.id} revoked")
    return 0
