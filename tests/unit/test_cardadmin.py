import pytest

from cardadmin import AdminOp, AdminOperation, compute_response, derive_card_key, verify_response
from cardadmin.operation import AUTH_CERT, AUTH_KEY, SIGN_KEY, SIGN_PIN

MASTER = bytes(range(32))
CARD_A, CARD_B = bytes(16), bytes(range(16))
CHALLENGE = bytes.fromhex("00112233445566778899AABBCCDDEEFF")


def test_diversified_keys_differ_per_card_and_are_stable() -> None:
    assert derive_card_key(MASTER, CARD_A) == derive_card_key(MASTER, CARD_A)
    assert derive_card_key(MASTER, CARD_A) != derive_card_key(MASTER, CARD_B)
    assert len(derive_card_key(MASTER, CARD_A)) == 32


@pytest.mark.parametrize(("master", "card"), [(bytes(16), CARD_A), (MASTER, bytes(8))])
def test_diversification_input_lengths_checked(master: bytes, card: bytes) -> None:
    with pytest.raises(ValueError):
        derive_card_key(master, card)


def test_operation_encoding_round_trip_is_canonical() -> None:
    op = AdminOperation.write_certificate(AUTH_CERT, b"certificate")
    encoded = op.encode()
    assert encoded[:2] == b"\xa0\x29"
    assert AdminOperation.decode(encoded) == op
    assert AdminOperation.decode(AdminOperation(AdminOp.GENERATE_KEY, SIGN_KEY).encode()).target == SIGN_KEY


@pytest.mark.parametrize(
    "raw",
    [
        "A0058001018102",  # truncated
        "A00880010181020017" + "00",  # trailing byte
        "A006810200178001 01".replace(" ", ""),  # fields out of order → not canonical
        "A00680010981020017",  # unknown op 09
        "A00680010181020001",  # GENERATE KEY on a certificate EF
        "A0098001018102001783 00".replace(" ", ""),  # unknown field
        "300680010181020017",  # wrong outer tag
    ],
)
def test_malformed_operations_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        AdminOperation.decode(bytes.fromhex(raw))


def test_write_certificate_needs_its_hash_and_others_refuse_one() -> None:
    with pytest.raises(ValueError):
        AdminOperation(AdminOp.WRITE_CERTIFICATE, AUTH_CERT)
    with pytest.raises(ValueError):
        AdminOperation(AdminOp.RESET_PIN, SIGN_PIN, bytes(32))


def test_response_binds_card_challenge_and_operation() -> None:
    key = derive_card_key(MASTER, CARD_A)
    op = AdminOperation(AdminOp.GENERATE_KEY, AUTH_KEY)
    response = compute_response(key, CARD_A, CHALLENGE, op)
    assert verify_response(key, CARD_A, CHALLENGE, op, response)
    other_challenge = bytes(16)
    assert not verify_response(key, CARD_A, other_challenge, op, response)
    assert not verify_response(
        key, CARD_A, CHALLENGE, AdminOperation(AdminOp.GENERATE_KEY, SIGN_KEY), response
    )
    other_key = derive_card_key(MASTER, CARD_B)
    assert not verify_response(other_key, CARD_B, CHALLENGE, op, response)
