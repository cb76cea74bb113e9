"""`cardemu`: make test cards and plug them into a real PC/SC stack (development only).

cardemu pki init DIR
cardemu personalise --pki DIR --out FILE --name "佐藤 花子" --address … --birth 1985-04-12 --sex 2
cardemu residents --pki DIR --out DIR
cardemu staff-card --staff-ca DIR --out FILE --operator-id ID [--pin 1234]   # an operator's staff card
cardemu harness [--card FILE] [--staff-card FILE]   # pcscd + vpcd + bridge in the foreground, until Ctrl-C
cardemu insert FILE | remove | status [--slot 1]    # talk to a running harness (slot 1: staff reader)
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import sys
import time
from datetime import date
from pathlib import Path
from types import FrameType

from cardemu.era import parse_yyyymmdd
from cardemu.harness import DEFAULT_CONTROL, SLOT_READERS, HarnessError, PcscHarness, wait_card_state
from cardemu.personalise import (
    AUTH_PIN_TRIES,
    DEFAULT_AUTH_PIN,
    DEFAULT_JUKI_PIN,
    DEFAULT_KENHOJO_PIN,
    DEFAULT_SIGN_PIN,
    CardSpec,
    personalise,
)
from cardemu.residents import card_expiry, my_number, resident_specs, write_residents
from cardemu.staff import DEFAULT_DISPLAY_NAME, DEFAULT_MUNICIPALITY, StaffCa, StaffCardSpec, write_staff_card
from cardemu.state import EmptyVerifyQuirk, Holder
from cardemu.testpki import TestPki
from cardemu.vpcd import control_request

_DEFAULT_CONTROL_HELP = "bridge control socket (default $CARDEMU_CONTROL or /run/cardemu/control.sock)"


def _date(text: str) -> date:
    try:
        return parse_yyyymmdd(text.replace("-", ""))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: expected YYYY-MM-DD or YYYYMMDD") from exc


def _name(text: str) -> str:
    # Family and given name are separated by an ideographic space on the card.
    return "\u3000".join(text.replace("\u3000", " ").split())


def _control(args: argparse.Namespace) -> Path:
    return Path(args.control) if args.control else DEFAULT_CONTROL


# -- commands --------------------------------------------------------------------------------------


def cmd_pki_init(args: argparse.Namespace) -> int:
    pki = TestPki.create(args.dir)
    print(f"test PKI created in {pki.directory}")
    for path in sorted(pki.directory.iterdir()):
        print(f"  {path.name}")
    return 0


def cmd_personalise(args: argparse.Namespace) -> int:
    issued = args.issued or date.today()
    number = args.my_number or my_number("".join(secrets.choice("0123456789") for _ in range(11)))
    holder = Holder(
        name=_name(args.name),
        name_kana=_name(args.kana or ""),
        address=args.address,
        birth_date=f"{args.birth:%Y%m%d}",
        sex=args.sex,
        my_number=number,
    )
    spec = CardSpec(
        holder=holder,
        security_code=args.security_code or f"{secrets.randbelow(10_000):04d}",
        issue_date=issued,
        expiry=args.expiry or card_expiry(args.birth, issued),
        municipality=args.municipality,
        auth_pin=args.auth_pin,
        sign_pin=args.sign_pin.upper(),
        juki_pin=args.juki_pin,
        kenhojo_pin=args.kenhojo_pin,
        photo=args.photo.read_bytes() if args.photo else None,
        with_sign_cert=not args.no_sign_cert,
        face_auth=args.face_auth,
        sign_pin_blocked=args.sign_pin_blocked,
        empty_verify=EmptyVerifyQuirk(args.empty_verify),
    )
    state = personalise(spec, TestPki.load(args.pki))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    state.save(args.out)
    print(f"{args.out}: {spec!r}")
    return 0


def cmd_residents(args: argparse.Namespace) -> int:
    pki = TestPki.load_or_create(args.pki)
    specs = resident_specs()
    for key, path in write_residents(args.out, pki).items():
        spec = specs[key]
        print(f"{key:13} {path}  {spec.holder.name}  expiry {spec.expiry}")
    print("default PINs: docs/card-emulation.md (residents)")
    return 0


def cmd_staff_card(args: argparse.Namespace) -> int:
    ca = StaffCa.load_or_create(args.staff_ca, args.municipality)
    spec = StaffCardSpec(
        operator_id=args.operator_id,
        display_name=_name(args.name) if args.name else DEFAULT_DISPLAY_NAME,
        pin=args.pin,
        issue_date=args.issued or date.today(),
        expiry=args.expiry,
        municipality=args.municipality,
        pin_tries_left=0 if args.pin_blocked else AUTH_PIN_TRIES,
    )
    write_staff_card(args.out, spec, ca)
    print(f"{args.out}: {spec!r}")
    print(f"staff CA certificate for the kiosk: {ca.cert_path}")
    return 0


def _raise_interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def cmd_harness(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, _raise_interrupt)
    harness = PcscHarness(_control(args), log_path=args.log, card=args.card)
    try:
        harness.start()
        if args.staff_card is not None:
            harness.insert(args.staff_card, slot=1)
    except HarnessError as exc:
        harness.stop()
        print(f"cardemu harness: {exc}", file=sys.stderr)
        return 1
    print(f"readers {harness.readers!r} ready (slot 0, slot 1 = staff); pids {harness.pids}")
    print(f"control socket {harness.control}; log {harness.log_path}")
    print("cardemu insert FILE / remove / status [--slot 1] from another shell; Ctrl-C stops", flush=True)
    try:
        while harness.running:
            time.sleep(0.5)
        print("cardemu harness: the supervisor exited; see the log", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        harness.stop()


def _request(args: argparse.Namespace, line: str) -> dict[str, object] | None:
    try:
        answer = control_request(_control(args), line)
    except OSError as exc:
        print(
            f"cardemu: no harness at {_control(args)} ({exc}); start one with `cardemu harness`",
            file=sys.stderr,
        )
        return None
    if not answer.get("ok"):
        print(f"cardemu: {answer.get('error')}", file=sys.stderr)
        return None
    return answer


def cmd_insert(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        print(f"cardemu: no such card file {args.file}", file=sys.stderr)
        return 1
    if _request(args, f"insert {args.slot} {args.file.resolve()}") is None:
        return 1
    if not args.no_wait:
        print(f"card present after {wait_card_state(True, SLOT_READERS[args.slot]):.2f} s")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    answer = _request(args, f"remove {args.slot}")
    if answer is None:
        return 1
    if answer.get("removed") and not args.no_wait:
        print(f"reader empty after {wait_card_state(False, SLOT_READERS[args.slot]):.2f} s")
    elif not answer.get("removed"):
        print("no card was inserted")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    answer = _request(args, f"status {args.slot}")
    if answer is None:
        return 1
    answer.pop("ok", None)
    print(json.dumps(answer, ensure_ascii=False))
    return 0


def _slot_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--slot",
        type=int,
        choices=range(len(SLOT_READERS)),
        default=0,
        help="0: the resident's reader (default), 1: the staff-card reader",
    )


# -- parser ----------------------------------------------------------------------------------------


def _add_staff_card(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    staff = sub.add_parser("staff-card", help="make an operator's staff card (staff CA created if missing)")
    staff.add_argument("--staff-ca", type=Path, required=True, help="staff CA directory (created if missing)")
    staff.add_argument("--out", type=Path, required=True)
    staff.add_argument("--operator-id", required=True, help="staff number: the certificate's CN")
    staff.add_argument("--name", help="display name kept in the card file (default 窓口 職員)")
    staff.add_argument("--pin", default=DEFAULT_AUTH_PIN, help="4 digits (default 1234)")
    staff.add_argument("--municipality", default=DEFAULT_MUNICIPALITY, help="5 digits")
    staff.add_argument("--issued", type=_date, help="default today")
    staff.add_argument("--expiry", type=_date, help="last valid day (default: 3 years after issue)")
    staff.add_argument("--pin-blocked", action="store_true", help="a card locked out by wrong PINs")
    staff.set_defaults(func=cmd_staff_card)


def _add_harness_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    har = sub.add_parser("harness", help="run pcscd + vpcd + bridge (loopback only) until Ctrl-C")
    har.add_argument("--card", type=Path, help="card file to insert at start")
    har.add_argument("--staff-card", type=Path, help="card file to insert into the staff reader (slot 1)")
    har.add_argument("--control", help=_DEFAULT_CONTROL_HELP)
    har.add_argument("--log", type=Path, help="pcscd/bridge log (default: a temp file)")
    har.set_defaults(func=cmd_harness)

    ins = sub.add_parser("insert", help="insert a card file into the running harness")
    ins.add_argument("file", type=Path)
    ins.add_argument("--control", help=_DEFAULT_CONTROL_HELP)
    ins.add_argument("--no-wait", action="store_true", help="do not wait for pcscd to see the card")
    _slot_option(ins)
    ins.set_defaults(func=cmd_insert)

    rem = sub.add_parser("remove", help="pull the card")
    rem.add_argument("--control", help=_DEFAULT_CONTROL_HELP)
    rem.add_argument("--no-wait", action="store_true")
    _slot_option(rem)
    rem.set_defaults(func=cmd_remove)

    st = sub.add_parser("status", help="which card is inserted")
    st.add_argument("--control", help=_DEFAULT_CONTROL_HELP)
    _slot_option(st)
    st.set_defaults(func=cmd_status)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cardemu", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    pki = sub.add_parser("pki", help="test PKI").add_subparsers(dest="pki_command", required=True)
    init = pki.add_parser("init", help="create a new test PKI in DIR")
    init.add_argument("dir", type=Path)
    init.set_defaults(func=cmd_pki_init)

    pers = sub.add_parser("personalise", help="make one card file")
    pers.add_argument("--pki", type=Path, required=True)
    pers.add_argument("--out", type=Path, required=True)
    pers.add_argument("--name", required=True, help='kanji, family and given name: "佐藤 花子"')
    pers.add_argument("--kana")
    pers.add_argument("--address", required=True, help="full-width digits, as printed")
    pers.add_argument("--birth", type=_date, required=True)
    pers.add_argument("--sex", choices=("1", "2", "9"), required=True, help="ISO 5218")
    pers.add_argument("--my-number", help="12 digits with check digit (default: random valid)")
    pers.add_argument("--municipality", default="13101", help="5 digits")
    pers.add_argument("--security-code", help="4 digits (default: random)")
    pers.add_argument("--issued", type=_date, help="default today")
    pers.add_argument("--expiry", type=_date, help="default: 10th (5th if under 18) birthday after issue")
    pers.add_argument("--auth-pin", default=DEFAULT_AUTH_PIN)
    pers.add_argument("--sign-pin", default=DEFAULT_SIGN_PIN)
    pers.add_argument("--juki-pin", default=DEFAULT_JUKI_PIN)
    pers.add_argument("--kenhojo-pin", default=DEFAULT_KENHOJO_PIN)
    pers.add_argument("--photo", type=Path, help="face photo, any format Pillow reads")
    pers.add_argument("--no-sign-cert", action="store_true", help="under 15 / adult ward")
    pers.add_argument("--face-auth", action="store_true", help="顔認証カード")
    pers.add_argument("--sign-pin-blocked", action="store_true")
    pers.add_argument("--empty-verify", choices=[q.value for q in EmptyVerifyQuirk], default="opensc")
    pers.set_defaults(func=cmd_personalise)

    res = sub.add_parser("residents", help="write the five ready residents' cards")
    res.add_argument("--pki", type=Path, required=True, help="created if missing")
    res.add_argument("--out", type=Path, required=True)
    res.set_defaults(func=cmd_residents)

    _add_staff_card(sub)
    _add_harness_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, FileExistsError, FileNotFoundError) as exc:
        print(f"cardemu: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
