"""SoftCardConnection: the kiosk's CardConnection without pcscd."""

from __future__ import annotations

import pytest
from softcard_util import AUTH_PIN, SIGN_PIN, read_opensc, select_ap, send, verify

from cardemu.card import SoftCard
from cardemu.inprocess import SoftCardConnection
from cardemu.jpki import JPKI_AID
from kiosk.reader.connection import CardConnection
from kiosk.reader.errors import CardRemoved, TransportError


def test_is_a_card_connection(card, state) -> None:
    conn = SoftCardConnection(card)
    assert isinstance(conn, CardConnection)
    assert conn.atr == state.atr
    assert conn.supports_extended_length
    select_ap(conn, JPKI_AID)
    assert read_opensc(conn, 0x000A) == state.jpki.auth_cert
    assert send(conn, "00 B0 8A 00 00 00 00").data == state.jpki.auth_cert


def test_connecting_powers_the_card_on(card) -> None:
    select_ap(card, JPKI_AID)
    assert verify(card, 0x1B, SIGN_PIN) == 0x9000
    conn = SoftCardConnection(card)
    assert send(conn, "00 A4 00 00") == (b"", 0x6A86)  # back at ISD level, nothing verified
    select_ap(conn, JPKI_AID)
    assert send(conn, "00 B0 81 00 04") == (b"", 0x6982)


def test_pull_removes_the_card(card, card_path) -> None:
    conn = SoftCardConnection(card)
    select_ap(conn, JPKI_AID)
    assert verify(conn, 0x18, "0000") == 0x63C2
    assert verify(conn, 0x18, AUTH_PIN) == 0x9000
    conn.pull()
    for command in ("00 A4 00 00", "00 B0 00 00 00 00 00"):
        with pytest.raises(CardRemoved):
            conn.transmit(bytes.fromhex(command))
    again = SoftCardConnection(SoftCard(card.state, card_path))  # re-inserted: security status is gone
    select_ap(again, JPKI_AID)
    assert send(again, "80 2A 00 97 01 AA 00") == (b"", 0x6982)
    assert send(again, "00 20 00 98") == (b"", 0x63C3)


def test_reader_without_extended_length(card, state) -> None:
    conn = SoftCardConnection(card, extended_length=False)
    assert not conn.supports_extended_length
    select_ap(conn, JPKI_AID)
    for extended in ("00 B0 8A 00 00 00 00", "00 D6 00 00 00 00 01 30", "80 2A 00 97 00 00 01 AA 00 00"):
        with pytest.raises(TransportError):
            conn.transmit(bytes.fromhex(extended))
    assert read_opensc(conn, 0x000A) == state.jpki.auth_cert  # short APDUs still work


def test_closed_connection(card) -> None:
    conn = SoftCardConnection(card)
    conn.close()
    conn.close()
    with pytest.raises(TransportError):
        conn.transmit(bytes.fromhex("00 A4 00 00"))


def test_personalised_resident_card_works_with_the_engine(card_file) -> None:
    """The other half of cardemu: a card made by `personalise` behaves as CARD.md §12.3 expects."""
    from cardemu.state import CardState

    path = card_file("adult")
    conn = SoftCardConnection(SoftCard(CardState.load(path), path))
    select_ap(conn, JPKI_AID)
    token = send(conn, "00 B0 86 00 20")
    assert token == (b"JPKIAPICCTOKEN2".ljust(32), 0x9000)
    assert send(conn, "00 20 00 98") == (b"", 0x63C3)
    assert send(conn, "00 20 00 9B") == (b"", 0x63C5)
    assert send(conn, "00 B0 81 00 04") == (b"", 0x6982)
    assert send(conn, "00 B0 88 00 00") == (bytes.fromhex("8F8F00"), 0x9000)
