"""`python -m central …` (the `central` command until it is registered as a console script)."""

from central.cli import main

main()
