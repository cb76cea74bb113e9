"""The read-only file APs (CARD.md §4–6): 券面事項入力補助 (kenhojo), 券面事項確認 (kenkaku), 住基.

Their EFs are written at manufacture (ApState.files); reading them needs one of the listed PINs.
The 券面 APs also sign a challenge with their own key and no credential (card-presence proof).
"""

from __future__ import annotations

from collections.abc import Mapping

from cardemu.apdu import StatusError
from cardemu.application import FOUR_DIGITS, Application
from cardemu.state import ApState, CardState, PinState

KENHOJO_AID = bytes.fromhex("D3921000310001010408")
KENKAKU_AID = bytes.fromhex("D3921000310001010402")
JUKI_AID = bytes.fromhex("D3921000310001010401")
COMMON_AID = bytes.fromhex("D3921000310001010100")  # both claim the name 住基AP (CARD.md §2)

# kenhojo PIN EFs: 暗証番号 0011, 照合番号A 0014 (個人番号), 照合番号B 0015.
_HOJO_PIN, _HOJO_A, _HOJO_B = 0x0011, 0x0014, 0x0015
KENHOJO_READ = {
    0x0001: frozenset({_HOJO_PIN, _HOJO_A}),  # 個人番号
    0x0002: frozenset({_HOJO_PIN, _HOJO_B}),  # 基本4情報
    0x0003: frozenset({_HOJO_PIN, _HOJO_A, _HOJO_B}),
    0x0006: frozenset({_HOJO_PIN, _HOJO_A, _HOJO_B}),
    0x0007: frozenset({_HOJO_PIN, _HOJO_A, _HOJO_B}),
}
# kenkaku PIN EFs: 生年月日 key 0011, 照合番号B 0012, 照合番号A 0013.
_KAKU_BIRTH, _KAKU_B, _KAKU_A = 0x0011, 0x0012, 0x0013
KENKAKU_READ = {
    0x0001: frozenset({_KAKU_BIRTH}),  # age record
    0x0002: frozenset({_KAKU_A, _KAKU_B}),  # card face with photo
    0x0005: frozenset({_KAKU_A}),  # 個人番号 image
}
JUKI_PIN = 0x001C


class FileAp(Application):
    def __init__(
        self, name: str, ap: ApState, read_access: Mapping[int, frozenset[int]], changeable: frozenset[int]
    ) -> None:
        super().__init__(name, read_access, dict.fromkeys(changeable, FOUR_DIGITS))
        self.ap = ap

    def files(self) -> Mapping[int, bytes]:
        return self.ap.files

    def pins(self) -> Mapping[int, PinState]:
        return self.ap.pins

    def signing_key(self, p2: int, current_ef: int | None, verified: set[int]) -> str:
        if p2 != 0x00:  # only the AP's default key, no credential (CARD.md §4)
            raise StatusError(0x6A86)
        if self.ap.ap_key is None:
            raise StatusError(0x6A88)
        return self.ap.ap_key


def file_aps(state: CardState) -> dict[bytes, Application]:
    # Both 住基 AIDs sit on state.juki: the state file models one 住基 PIN.
    return {
        KENHOJO_AID: FileAp("kenhojo", state.kenhojo, KENHOJO_READ, frozenset({_HOJO_PIN})),
        KENKAKU_AID: FileAp("kenkaku", state.kenkaku, KENKAKU_READ, frozenset()),
        JUKI_AID: FileAp("juki", state.juki, {}, frozenset({JUKI_PIN})),
        COMMON_AID: FileAp("common", state.juki, {}, frozenset({JUKI_PIN})),
    }
