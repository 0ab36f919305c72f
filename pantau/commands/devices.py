"""pantau devices issue-code | reset | show | shared: phone bindings (BKPP's tools beside /admin/devices)."""
from __future__ import annotations

import getpass
import sys


def register(sub) -> None:
    p = sub.add_parser("devices", help="employees' phone bindings (mobile app)")
    dsub = p.add_subparsers(dest="devices_command", metavar="ACTION")
    issue = dsub.add_parser("issue-code", help="a one-time activation code for an employee (valid 24 h)")
    issue.add_argument("nip", help="the employee's 18-digit NIP")
    issue.add_argument("--by", default=None, help="who issues it (audit log; default: the OS user)")
    issue.set_defaults(handler=_issue)
    reset = dsub.add_parser("reset", help="free the account for a new phone (revokes the current one)")
    reset.add_argument("nip")
    reset.add_argument("--reason", required=True, help="why (audit log), e.g. 'ganti ponsel'")
    reset.add_argument("--by", default=None)
    reset.set_defaults(handler=_reset)
    show = dsub.add_parser("show", help="the employee's phones, current and revoked")
    show.add_argument("nip")
    show.set_defaults(handler=_show)
    shared = dsub.add_parser("shared", help="phones bound to more than one active account (reset all but the first)")
    shared.set_defaults(handler=_shared)
    p.set_defaults(handler=lambda a: p.print_help() or 2)


def _actor(args) -> str:
    return args.by or f"cli:{getpass.getuser()}"


def _refused(exc) -> int:
    print(f"error: {exc.message_en} ({exc.message_id})", file=sys.stderr)
    return 1


def _issue(args) -> int:
    from ingest import devices

    from foundation.runtime import boot

    try:
        issued = devices.issue_code(boot(), args.nip.strip(), _actor(args))
    except devices.DeviceError as exc:
        return _refused(exc)
    print(f"activation code for {issued.nip} ({issued.name}): {issued.code}")
    print(f"valid until {issued.expires_at:%Y-%m-%d %H:%M} UTC, once; any earlier code no longer works")
    return 0


def _reset(args) -> int:
    from ingest import devices

    from foundation.runtime import boot

    try:
        revoked = devices.reset(boot(), args.nip.strip(), _actor(args), args.reason)
    except devices.DeviceError as exc:
        return _refused(exc)
    if revoked is None:
        print(f"{args.nip}: no phone was bound; the employee can activate a phone with a new code")
    else:
        print(f"{args.nip}: phone {revoked['model'] or revoked['device_id']} revoked; "
              "issue a new code to activate the new phone")
    return 0


def _show(args) -> int:
    from ingest import devices

    from foundation.runtime import boot

    try:
        employee, rows = devices.history(boot(), args.nip.strip())
    except devices.DeviceError as exc:
        return _refused(exc)
    print(f"{employee['nip']} {employee['name']} ({employee['unit_code']})")
    if not rows:
        print("  no phone bound")
    for r in rows:
        state = "ACTIVE" if r["revoked_at"] is None else f"revoked {r['revoked_at']:%Y-%m-%d} ({r['revoke_reason']})"
        print(f"  {r['model'] or '-':20} {r['device_id'][:24]:24} bound {r['bound_at']:%Y-%m-%d}  {state}")
    return 0


def _shared(args) -> int:
    from ingest import devices

    from foundation.runtime import boot

    rows = devices.shared_devices(boot())
    if not rows:
        print("no phone is bound to more than one active account")
        return 0
    print(f"{len({r['device_id'] for r in rows})} phone(s) bound to more than one active account; "
          "check-ins of every account but the first are refused: reset those bindings")
    for r in rows:
        role = "first (kept)" if r["nth"] == 1 else "later: reset"
        print(f"  {r['device_id'][:24]:24} {r['model'] or '-':20} {r['nip']} {r['name']} ({r['unit_code']}) "
              f"bound {r['bound_at']:%Y-%m-%d}  {role}")
    return 0
