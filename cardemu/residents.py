"""Five ready-made test residents, one of each kind of card the kiosk must handle.

All people, addresses and numbers are fictitious. Dates are computed from `today` so that the
valid cards stay valid, the minor stays under 15 and the expired card stays expired, whenever the
tests run. Card expiry follows the real rule: the 10th birthday after issuance for holders aged
18 or more at issuance, the 5th for younger ones.

Default PINs (docs/card-emulation.md): 利用者証明用 `1234`, 署名用 `ABC123`, 住基 `2345`,
券面事項入力補助 `3456`. 照合番号A = the My Number; 照合番号B and the 生年月日 key follow from the
birth date, the expiry year and the security code (`CardSpec.pin_b`).

The adult's card carries a real face photo (resources/faceset/obama-passport.png, as the chip's
JP2) so that the face check can be tried against a camera clip of the same person from other
photos (obama-1/-2); the others carry the synthetic placeholder portrait.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from cardemu.jpki_certs import nth_birthday_after
from cardemu.personalise import (
    DEFAULT_AUTH_PIN,
    DEFAULT_JUKI_PIN,
    DEFAULT_KENHOJO_PIN,
    DEFAULT_SIGN_PIN,
    CardSpec,
    personalise,
)
from cardemu.state import Holder
from cardemu.testpki import TestPki
from kiosk.domain.mynumber import check_digit

AUTH_PIN, SIGN_PIN = DEFAULT_AUTH_PIN, DEFAULT_SIGN_PIN
JUKI_PIN, KENHOJO_PIN = DEFAULT_JUKI_PIN, DEFAULT_KENHOJO_PIN

ADULT, MINOR, FACE_AUTH, SIGN_BLOCKED, EXPIRED = "adult", "minor", "face_auth", "sign_blocked", "expired"


FACESET = Path(__file__).resolve().parents[1] / "resources" / "faceset"
ADULT_PHOTO = FACESET / "obama-passport.png"


def my_number(first11: str) -> str:
    return first11 + str(check_digit(first11))


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def card_expiry(birth: date, issued: date) -> date:
    return nth_birthday_after(birth, issued, 10 if _age_on(birth, issued) >= 18 else 5)


def _spec(
    holder: Holder,
    issued: date,
    municipality: str,
    security_code: str,
    photo: bytes | None = None,
    **flags: bool,
) -> CardSpec:
    birth = date(int(holder.birth_date[:4]), int(holder.birth_date[4:6]), int(holder.birth_date[6:]))
    return CardSpec(
        holder=holder,
        security_code=security_code,
        issue_date=issued,
        expiry=card_expiry(birth, issued),
        municipality=municipality,
        auth_pin=AUTH_PIN,
        sign_pin=SIGN_PIN,
        juki_pin=JUKI_PIN,
        kenhojo_pin=KENHOJO_PIN,
        photo=photo,
        **flags,
    )


def resident_specs(today: date | None = None) -> dict[str, CardSpec]:
    today = today or date.today()
    minor_birth = date(today.year - 9, 8, 3)  # always 8–9 years old: under 15, card valid
    expired_issued = date(today.year - 12, 1, 20)  # 10th birthday after it is ≥ 1 year ago
    return {
        ADULT: _spec(
            Holder(
                name="佐藤　健太",
                name_kana="サトウ　ケンタ",
                address="東京都世田谷区北沢三丁目２１番５号",
                birth_date="19850412",
                sex="1",
                my_number=my_number("31417592653"),
            ),
            today - timedelta(days=400),
            "13112",
            "2285",
            photo=ADULT_PHOTO.read_bytes(),
        ),
        MINOR: _spec(
            Holder(
                name="鈴木　陽翔",
                name_kana="スズキ　ハルト",
                address="神奈川県横浜市中区山下町１２３番地４",
                birth_date=f"{minor_birth:%Y%m%d}",
                sex="1",
                my_number=my_number("27182818284"),
            ),
            today - timedelta(days=200),
            "14104",
            "7391",
            with_sign_cert=False,
        ),
        FACE_AUTH: _spec(
            Holder(
                name="高橋　美咲",
                name_kana="タカハシ　ミサキ",
                address="大阪府大阪市北区中之島七丁目８番９号",
                birth_date="19721123",
                sex="2",
                my_number=my_number("16180339887"),
            ),
            today - timedelta(days=700),
            "27127",
            "4610",
            face_auth=True,
        ),
        SIGN_BLOCKED: _spec(
            Holder(
                name="田中　健一",
                name_kana="タナカ　ケンイチ",
                address="愛知県名古屋市中区三の丸五丁目６番７号",
                birth_date="19580228",
                sex="1",
                my_number=my_number("14142135623"),
            ),
            today - timedelta(days=100),
            "23106",
            "5823",
            sign_pin_blocked=True,
        ),
        EXPIRED: _spec(
            Holder(
                name="伊藤　誠",
                name_kana="イトウ　マコト",
                address="北海道札幌市中央区北一条西九丁目１０番地",
                birth_date="19900615",
                sex="1",
                my_number=my_number("17320508075"),
            ),
            expired_issued,
            "01101",
            "9054",
        ),
    }


def write_residents(out_dir: Path, pki: TestPki, today: date | None = None) -> dict[str, Path]:
    """Personalise every resident and save one card file each (`<key>.json`, 0600)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, spec in resident_specs(today).items():
        path = out_dir / f"{name}.json"
        personalise(spec, pki).save(path)
        written[name] = path
    return written
