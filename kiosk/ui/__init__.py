"""The resident touch UI: the only package that imports Qt (tests/unit/test_layers.py).

Building blocks for the screens (docs/ui.md): `theme` (sizes in mm, contrast and text modes),
`status` (state lines told by colour, icon shape and words; `Told`, one that re-words itself on a
language change), `widgets` (touch buttons, combo boxes and date fields made one way everywhere),
`i18n` and `texts` (translations), `keypad` (the PIN keypad), `preview` (camera preview and
face-check guidance), `idle` (idle timeout), `card_prompt` (insert-your-card picture and reader
state), `workers` (blocking calls off the UI thread).
"""
