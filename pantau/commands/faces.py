"""pantau faces enrol --dir PHOTOS | check NIP PHOTO: the reference faces the server matches
every selfie with (ingest/face_match.py)."""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")


def register(sub) -> None:
    p = sub.add_parser("faces", help="reference faces: enrol from photo files, check a photo against one")
    psub = p.add_subparsers(dest="faces_command", metavar="ACTION")
    enrol = psub.add_parser("enrol", help="enrol every photo in a folder, each named by the employee's NIP "
                                          "(e.g. 198503122010011003.jpg); a replaced face is kept on record")
    enrol.add_argument("--dir", type=Path, required=True, help="folder of .jpg/.jpeg/.png files named by NIP")
    enrol.add_argument("--by", default=None, help="who enrols, for the audit log (default: the OS user)")
    enrol.set_defaults(handler=_enrol)
    check = psub.add_parser("check", help="the distance of a photo's face to the employee's enrolled face, and "
                                          "the verdict (exit 1 on a mismatch, 2 on an error)")
    check.add_argument("nip")
    check.add_argument("photo", type=Path)
    check.set_defaults(handler=_check)
    p.set_defaults(handler=lambda a: p.print_help() or 2)


def _enrol(args) -> int:
    from ingest.face_match import FaceError, enrol_photo

    from foundation.runtime import boot

    if not args.dir.is_dir():
        print(f"error: {args.dir} is not a folder", file=sys.stderr)
        return 2
    files = sorted(f for f in args.dir.iterdir() if f.is_file() and f.suffix.lower() in PHOTO_SUFFIXES)
    if not files:
        print(f"error: no .jpg, .jpeg or .png file in {args.dir}", file=sys.stderr)
        return 2
    rt, actor = boot(), args.by or f"cli:{getpass.getuser()}"
    failed = 0
    for path in files:
        try:
            done = enrol_photo(rt, path.stem, path.read_bytes(), actor)
        except FaceError as exc:
            failed += 1
            print(f"{path.name}: gagal / failed: {exc.message_id} / {exc.message_en} ({exc.code})")
            continue
        replaced = " (wajah lama tetap tersimpan / the old one is kept)" if done["replaced"] else ""
        waited = f"; {done['requeued']} swafoto menunggu dicocokkan / selfies queued to match" if done["requeued"] else ""
        print(f"{path.name}: terdaftar / enrolled: {done['nip']} {done['name']}{replaced}{waited}")
    print(f"{len(files) - failed} terdaftar / enrolled, {failed} gagal / failed")
    return 1 if failed else 0


def _check(args) -> int:
    from ingest.face_match import FaceError, check
    from ingest.rules.face import MATCH, verdict_label

    from foundation.runtime import boot

    try:
        data = args.photo.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.photo}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        done = check(boot(), args.nip, data)
    except FaceError as exc:
        print(f"error: {exc.message_id} / {exc.message_en} ({exc.code})", file=sys.stderr)
        return 2
    english = "match" if done.result == MATCH else "mismatch"
    print(f"jarak / distance {done.distance:.4f} (ambang / threshold {done.threshold:g}): "
          f"{verdict_label(done.result)} / {english}  [{done.model}, enrolment {done.enrolment_id}]")
    return 0 if done.result == MATCH else 1
