"""Pure domain values and rules: no I/O, no Qt, no card, no database."""
