"""Use cases on top of the card, the store and the sync layers (no Qt, no central).

- `ports`: what the flows need from outside — the link to the central, the card at hand
- `exchanges`: a certificate request's CMP exchanges as stored in the outbox
- `issuance`: the steps of one certificate issuance, each its own committed transaction
- `responses`: the relay's hook for the central's answers to certificate requests; polling
- `recovery`: the worker that resumes or cleans up unfinished issuances (on start, on card insertion)
"""
