"""The central CA core (機構 / J-LIS side): CA hierarchy, issuance policy, revocation and CRLs,
card registry, card-administration authorisations, application intake and the issuance ledger.

Everything except the HTTP/CMP front end. `docs/central.md` is the normative description; the
`Central` facade in `central.service` is the entry point for the front end.
"""
