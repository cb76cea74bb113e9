"""An unattended terminal beside the counter terminal of `World`, a card whose other PIN's key the
central certified, and the steps of an unattended reset (tickets, proofs, applications)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from central_testkit import MUNICIPALITY, NOW, World, application, csr, key
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from appdata.model import ApplicationData, IdentityCheck, IdentityMethod, Procedure
from appdata.unattended import ResetProof, TicketAnswer, TicketRequest, proof_message
from central.applications import ApplicationRecord
from central.enums import CertKind, TerminalMode
from central.models import ResetTicket
from central.service import Central
from central.unattended import UnattendedSettings

STORE = "store-0001"  # an unattended terminal (a kiosk in a shop) of the same municipality
MATCH = (0.40, 0.50)  # a face score and the kiosk's threshold that match (docs/face-check.md)


def add_unattended(
    central: Central, terminal_id: str = STORE, reset_pins: str = "sign auth", *, label: str | None = None
) -> World:
    secret = central.register_terminal(
        terminal_id, MUNICIPALITY, now=NOW, mode=TerminalMode.UNATTENDED, reset_pins=reset_pins
    )
    terminal_key = key(label or f"{terminal_id}-terminal")
    central.bootstrap_terminal(terminal_id, secret, csr(terminal_key), now=NOW)
    return World(central, terminal_id=terminal_id, terminal_key=terminal_key)


def certify(
    counter: World, card: bytes, label: str, kinds: tuple[str, ...] = ("auth",)
) -> dict[str, rsa.RSAPrivateKey]:
    """Certificates of `kinds` on the card, issued at the counter and confirmed written, as a new
    card carries them; returns the card's keys (the test holds them as the card would)."""
    record = counter.apply(application(card_id=card, certificates=kinds))
    assert record.approved, record.rejection
    keys = {}
    for kind in kinds:
        keys[kind] = key(f"{label}-{kind}")
        issued = counter.central.issue_certificate(
            record.id, csr(keys[kind]), CertKind(kind), terminal_id=counter.terminal_id, now=NOW
        )
        counter.central.confirm_installed(issued.serial, terminal_id=counter.terminal_id, now=NOW)
    return keys


def reset_data(card: bytes, target: str = "sign", **overrides: object) -> ApplicationData:
    """The PIN_RESET an unattended terminal files: no operator, the other PIN and the face."""
    fields: dict[str, object] = {
        "certificates": (),
        "pin_targets": (target,),
        "operator": "",
        "identity": None,
        "identity_check": IdentityCheck(IdentityMethod.OTHER_PIN_AND_FACE),
    }
    return application(Procedure.PIN_RESET, card_id=card, **{**fields, **overrides})  # type: ignore[arg-type]


def sign(
    signer: rsa.RSAPrivateKey,
    answer: TicketAnswer,
    card: bytes,
    *,
    target: str = "sign",
    terminal_id: str = STORE,
    face: tuple[float, float] = MATCH,
    live: bool = True,
) -> ResetProof:
    """What the card signs with the other PIN's key, and the kiosk's face decision."""
    assert answer.ticket_id is not None and answer.nonce is not None, answer
    message = proof_message(answer.ticket_id, answer.nonce, card.hex(), target, terminal_id)
    signature = signer.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return ResetProof(answer.ticket_id, signature, face[0], face[1], live)


@dataclass
class Scene:
    """The counter terminal, an unattended one, a card with its auth certificate, and an open
    ticket for resetting its signing PIN (the other PIN, auth, proves it)."""

    counter: World
    store: World
    card: bytes
    keys: dict[str, rsa.RSAPrivateKey]
    answer: TicketAnswer = field(init=False)

    def __post_init__(self) -> None:
        self.answer = self.ticket()

    @property
    def central(self) -> Central:
        return self.counter.central

    def ticket(
        self,
        target: str = "sign",
        *,
        at: World | None = None,
        card: bytes | None = None,
        now: dt.datetime = NOW,
    ) -> TicketAnswer:
        request = TicketRequest((card or self.card).hex(), target)
        return self.central.request_reset_ticket(request, terminal_id=(at or self.store).terminal_id, now=now)

    def proof(self, **kwargs: object) -> ResetProof:
        return sign(self.keys["auth"], self.answer, self.card, **kwargs)  # type: ignore[arg-type]

    def apply(
        self,
        proof: ResetProof | None = None,
        data: ApplicationData | None = None,
        *,
        at: World | None = None,
        now: dt.datetime = NOW,
    ) -> ApplicationRecord:
        terminal = at or self.store
        sealed = terminal.seal(data or reset_data(self.card), now=now)
        return self.central.receive_application(
            sealed, terminal_id=terminal.terminal_id, proof=proof or self.proof(), now=now
        )

    def row(self, ticket_id: str | None = None) -> ResetTicket:
        with self.central.transaction() as s:
            row = s.get(ResetTicket, ticket_id or self.answer.ticket_id)
            assert row is not None
            return row


def scene(counter: World, *, label: str = "u-card", kinds: tuple[str, ...] = ("auth",)) -> Scene:
    store = add_unattended(counter.central)
    card = counter.card(label)
    return Scene(counter, store, card, certify(counter, card, label, kinds))


def with_limits(central: Central, **limits: object) -> Central:
    """The same database behind a central with other unattended-reset limits."""
    settings = UnattendedSettings(**limits)  # type: ignore[arg-type]
    return Central(central.authority, central.engine, unattended=settings)
