"""The kiosk demo on its embedded default (development only, not shipped)."""
