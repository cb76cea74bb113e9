"""The resident's card at the counter: opened once per visit, read for the pre-flight without
spending a PIN try, released when the visit ends.

The pre-flight snapshot combines what the card shows (PIN counters by empty VERIFY, the
certificates it lets us read, its availability flags, the 券面 APs' authenticity) with 機構's
record of the card (運用状況, face-auth flag, expiry, the live certificates). When 機構 cannot be
reached the card's expiry is not known: the latest validity end of a certificate read from the
card stands in — a lower bound, since no certificate outlives its card (規則 有効期間 第2号).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from cryptography import x509

from appdata.model import BasicInfo
from appdata.status import CardStatusAnswer
from kiosk.domain.eligibility import CardKind
from kiosk.domain.pin_rules import PinKind
from kiosk.domain.procedures import (
    Authenticity,
    CardSnapshot,
    CardStatus,
    CertificateState,
    CertStatus,
    PinState,
    Preflight,
    preflight,
)
from kiosk.domain.resident import BasicFourInfo
from kiosk.domain.secret import Secret
from kiosk.flows.counter.terminal import CounterTerminal
from kiosk.flows.ledger import jst_day
from kiosk.reader.authenticity import (
    AuthenticityReport,
    NotAuthentic,
    check_card_authenticity,
    read_verified_card_face,
    read_verified_kenhojo_attributes,
)
from kiosk.reader.connection import CardConnection
from kiosk.reader.errors import CardDataError, CardError
from kiosk.reader.jpki import CertSlot, JpkiPin, JpkiSession
from kiosk.reader.juki import JukiPin, JukiSession
from kiosk.reader.kenhojo import KenhojoPin, KenhojoSession
from kiosk.reader.kenkaku import CardFace, KenkakuPin, KenkakuSession
from kiosk.reader.session import PinStatus
from kiosk.reader.transport import Transport
from kiosk.sync import queries
from kiosk.sync.central import CentralUnreachable

log = logging.getLogger(__name__)

_CENTRAL_STATUS = {
    "operating": CardStatus.IN_OPERATION,
    "suspended": CardStatus.SUSPENDED,
    "abolished": CardStatus.ABOLISHED,
    "expired": CardStatus.EXPIRED,
}
_CERT_STATUS = {"good": CertStatus.GOOD, "hold": CertStatus.ON_HOLD}


def _pin_state(status: PinStatus) -> PinState:
    return PinState(status.tries_left, blocked=status.blocked)


@dataclass(frozen=True)
class CardReading:
    """What the pre-flight read, kept for the flows (no personal data: the signing certificate,
    which names the holder, is not read here)."""

    card_id: bytes
    snapshot: CardSnapshot
    central: CardStatusAnswer | None  # None: 機構 unreachable
    auth_certificate: x509.Certificate | None

    @property
    def card_hex(self) -> str:
        return self.card_id.hex()


class CardAtCounter:
    """The card in the resident reader for one visit. `release()` disconnects (idempotent)."""

    def __init__(self, connection: CardConnection) -> None:
        self.connection = connection
        self.transport = Transport(connection)
        self._released = False
        # The 券面 APs' certified keys from the last pre-flight's authenticity check on this
        # connection: the records read after a PIN are checked against them (None: not genuine
        # or not checked yet).
        self._report: AuthenticityReport | None = None

    def release(self) -> None:
        if not self._released:
            self._released = True
            try:
                self.connection.close()
            except CardError as exc:  # a pulled card's handle may already be gone
                log.info("releasing the card: %s", exc)

    def jpki(self) -> JpkiSession:
        return JpkiSession(self.transport)

    def read(
        self, terminal: CounterTerminal, *, declared_forgotten: frozenset[PinKind] = frozenset()
    ) -> CardReading:
        """Everything the pre-flight needs, no PIN try spent."""
        authenticity = self._authenticity(terminal)
        jpki = self.jpki()
        card_id = jpki.card_id()
        availability = jpki.certificate_availability()
        auth_cert = jpki.read_certificate(CertSlot.AUTH) if availability.auth else None
        pins = {
            PinKind.SIGN: _pin_state(jpki.pin_status(JpkiPin.SIGN)),
            PinKind.AUTH: _pin_state(jpki.pin_status(JpkiPin.AUTH)),
            PinKind.JUKI: _pin_state(JukiSession(self.transport).pin_status(JukiPin.PIN)),
        }
        try:
            central: CardStatusAnswer | None = queries.card_status(terminal.link, card_id)
        except (CentralUnreachable, queries.QueryRefused) as exc:
            log.warning("card status from 機構 unavailable: %s", exc)
            central = None
        today = jst_day(terminal.clock())
        snapshot = _snapshot(
            today=today,
            authenticity=authenticity,
            central=central,
            sign_on_card=availability.sign,
            auth_cert=auth_cert,
            pins=pins,
            declared_forgotten=declared_forgotten,
        )
        return CardReading(card_id, snapshot, central, auth_cert)

    def read_holder(self, terminal: CounterTerminal, pin: Secret) -> BasicInfo:
        """基本4情報 for the application, from the 券面事項入力補助AP after its PIN (wiped here),
        checked against the AP's signed integrity record when the issuer keys are configured. The
        My Number is not read (the integrity record's signature covers its hash as recorded).
        Raises InvalidPin / PinBlocked as the card answers."""
        try:
            return _applicant(self._kenhojo_info(terminal, KenhojoPin.PIN, pin))
        finally:
            pin.wipe()

    def read_with_code_b(self, terminal: CounterTerminal, code_b: Secret) -> tuple[BasicInfo, CardFace]:
        """What staff need when the resident's PINs cannot be used: the 基本4情報 (券面事項入力補助AP)
        and the chip's card face with its photo (券面事項確認AP), both opened with 照合番号B keyed in
        by staff, and both checked against their AP's signature when the issuer keys are configured.
        The code is wiped here. The card face stays in memory: staff compare it with the printed card."""
        try:
            info = self._kenhojo_info(terminal, KenhojoPin.CODE_B, code_b)
            report = self._ap_keys(terminal)
            kenkaku = KenkakuSession(self.transport)
            kenkaku.verify(KenkakuPin.CODE_B, code_b)
            face = (
                read_verified_card_face(kenkaku, report.kenkaku.ap_key)
                if report is not None
                else kenkaku.card_face()
            )
        finally:
            code_b.wipe()
        return _applicant(info), face

    def _kenhojo_info(self, terminal: CounterTerminal, pin_ref: KenhojoPin, pin: Secret) -> BasicFourInfo:
        """The 基本4情報 after `pin_ref` (not wiped here), checked against the AP's signature
        when the issuer keys are configured."""
        report = self._ap_keys(terminal)  # a check now selects both 券面 APs: before the VERIFY
        session = KenhojoSession(self.transport)
        session.verify(pin_ref, pin)
        if report is None:
            return session.basic_four_info()
        return read_verified_kenhojo_attributes(session, report.kenhojo.ap_key)

    def _ap_keys(self, terminal: CounterTerminal) -> AuthenticityReport | None:
        """The 券面 APs' certified keys: the pre-flight's, else checked now (raises NotAuthentic
        or CardDataError on a card that is not genuine); None when no issuer keys are configured."""
        if terminal.trust is None:
            return None
        if self._report is None:
            self._report = check_card_authenticity(self.transport, terminal.trust)
        return self._report

    def _authenticity(self, terminal: CounterTerminal) -> Authenticity:
        self._report = None
        if terminal.trust is None:
            return Authenticity.NOT_CHECKED
        try:
            self._report = check_card_authenticity(self.transport, terminal.trust)
        except NotAuthentic as exc:
            log.warning("card is not genuine: %s", exc)
            return Authenticity.NOT_GENUINE
        except CardDataError as exc:
            log.warning("card authenticity not checked: %s", exc)
            return Authenticity.NOT_CHECKED
        return Authenticity.GENUINE


def _applicant(info: BasicFourInfo) -> BasicInfo:
    return BasicInfo(info.name, info.address, info.birth_date, info.sex.value)


def _snapshot(
    *,
    today: date,
    authenticity: Authenticity,
    central: CardStatusAnswer | None,
    sign_on_card: bool,
    auth_cert: x509.Certificate | None,
    pins: dict[PinKind, PinState],
    declared_forgotten: frozenset[PinKind],
) -> CardSnapshot:
    views = {c.kind: c for c in central.certificates} if central is not None else {}

    def central_status(kind: str, serial: str | None) -> CertStatus:
        if central is None:
            return CertStatus.UNKNOWN
        view = views.get(kind)
        if view is None or (serial is not None and int(view.serial, 16) != int(serial, 16)):
            return CertStatus.REVOKED  # 機構 lists the live ones: not there → no longer in effect
        return _CERT_STATUS.get(view.status, CertStatus.REVOKED)

    if auth_cert is not None:
        serial = format(auth_cert.serial_number, "x")
        user_auth = CertificateState.read(
            jst_day(auth_cert.not_valid_after_utc), serial, central_status("auth", serial)
        )
    else:
        user_auth = CertificateState.absent(central_status("auth", None))
    sign_view = views.get("sign")
    if sign_on_card:
        signing = CertificateState.unread(
            central_status("sign", None),
            not_after=jst_day(sign_view.not_after) if sign_view else None,
            serial=sign_view.serial if sign_view else None,
        )
    else:
        signing = CertificateState.absent(central_status("sign", None))
    if central is not None:
        status = _CENTRAL_STATUS.get(central.status, CardStatus.UNKNOWN)
        expiry = central.expiry or today
        kind = CardKind.FACE_AUTH if central.face_auth else CardKind.NORMAL
    else:
        status, kind = CardStatus.UNKNOWN, CardKind.NORMAL
        ends = [s.not_after for s in (user_auth, signing) if s.not_after is not None]
        expiry = max(ends, default=today)
    return CardSnapshot(
        today=today,
        authenticity=authenticity,
        kind=kind,
        card_expiry=expiry,
        card_status=status,
        signing=signing,
        user_auth=user_auth,
        pins=pins,
        declared_forgotten=declared_forgotten,
    )


def plan(reading: CardReading) -> Preflight:
    return preflight(reading.snapshot)
