"""Card access: PC/SC transport, APDU handling, and sessions named after the card's applications.

No Qt, no database. Only `pcsc.py` imports pyscard.
"""
