"""A software My Number card for development and tests (not part of the shipped kiosk).

`state` holds what the card stores (one JSON file = one card), `card` is the APDU engine,
`vpcd` plugs a card into pcscd through vsmartcard-vpcd, `harness` runs pcscd + vpcd in a
loopback-only network namespace, `personalise` makes realistic test cards.
"""
