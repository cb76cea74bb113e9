"""The counter's procedures as explicit state machines (no Qt here; `kiosk.ui` drives them).

One visit (`visit.Visit`): the operator is authenticated (`kiosk.flows.operator`), the resident's
card goes in, `card.CardAtCounter.read` reads what costs no PIN try and asks 機構 about the card,
the identity check (`identity.IdentityStep`) establishes who is there, and a procedure flow runs —
then, where the pre-flight listed follow-ups, the card is read again and the next one runs:

| procedure | flow | needs 機構 live |
|---|---|---|
| 新規発行 / 更新 | `certificates.CertificateFlow` | yes (card writes are authorised online) |
| 失効 / 秘密鍵漏えい等届出 | `revocation.RevocationFlow` | no: application and rr are queued |
| 暗証番号変更 | `pins.PinChangeFlow` | no |
| 暗証番号初期化・再設定 | `pins.PinResetFlow` | yes |
| 顔認証カード切替 | `face_switch.FaceSwitchFlow` | yes |
| 一時停止解除 (lost card found) | `found_card.FoundCardFlow` | yes (new certificates follow in the visit) |
| 開示・訂正請求 | `disclosure.DisclosureFlow` | no: queued |

Every flow ends exactly once through `machine.Flow.close` — done, queued, refused, cancelled, timed
out, card removed or failed — which wipes the PINs it held; the visit's end releases the reader.
"""
