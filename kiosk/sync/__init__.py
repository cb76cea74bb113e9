"""Store-and-forward between the kiosk and the central CA: transactional outbox, relay, inbox, and the
issuance journal's recovery rules. No Qt, no card code. See docs/store-and-sync.md.
"""
