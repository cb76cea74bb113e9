"""The application (申請) as terminal and central exchange it: the JSON schema and its envelope.

Shared by the kiosk (which seals) and the central (which opens); imports neither.
"""
