"""The kiosk's local SQLite store: engine and sessions, models, migrations, at-rest sealing, audit chain.

No Qt and no card code here; callers own the transactions (`with session.begin():`), functions in
this package never commit. See docs/store-and-sync.md.
"""
