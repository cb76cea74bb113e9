"""Face check: camera capture and matching a live face against the card photo."""
