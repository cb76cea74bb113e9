"""What the flows need from outside the kiosk's store: the central link and the card at hand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

import lcmp
from kiosk.reader.admin import AdminAuthorizer
from kiosk.reader.jpki import JpkiKey, JpkiSession
from kiosk.store.models import CertificateKind
from lcmp import jpki_items


class CentralPort(Protocol):
    """What `kiosk.sync.central.CentralLink` offers the flows. Both only build and protect
    messages; the network is the relay's and the card authoriser's business."""

    client: lcmp.CmpClient  # prepare_p10cr / prepare_rr
    protector: lcmp.Protector  # for follow-up messages built here (certConf, pollReq)


# The central's card-administration authoriser for one application (this terminal's number, or
# the central's id of one handed over to it): online, because the card's challenge cannot wait in
# a queue (in production `CmpAdminAuthorizer(link, application)`).
AuthorizerFor = Callable[[int | str], AdminAuthorizer]


@dataclass(frozen=True)
class PresentCard:
    """The card in the reader, as the issuance steps and the recovery worker use it."""

    card_id: str  # hex of GET DATA 0045, as the journal stores it
    jpki: JpkiSession
    authorizer_for: AuthorizerFor

    def __post_init__(self) -> None:
        object.__setattr__(self, "card_id", self.card_id.lower())


# The journal's certificate kind → the card key it certifies (whose `.certificate` is its EF) and
# the certificate-kind item the p10cr carries.
CARD_KEYS: Final = {CertificateKind.AUTH: JpkiKey.AUTH, CertificateKind.SIGN: JpkiKey.SIGN}
ITEM_KINDS: Final = {
    CertificateKind.AUTH: jpki_items.CertificateKind.AUTH,
    CertificateKind.SIGN: jpki_items.CertificateKind.SIGN,
}
