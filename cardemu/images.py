"""The images a 券面事項確認 AP carries: 1-bit PNG renderings of text and the JP2 face photo."""

from __future__ import annotations

import functools
import hashlib
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

PHOTO_SIZE = (90, 110)  # width × height; greyscale, a few KB as JP2 (CARD.md §5)
# Compression ratio of the single JP2 quality layer: ~3 KB for a 90×110 greyscale photo.
_PHOTO_RATE = 3.5

# Tried in order; fonts-noto-cjk on Debian. Without a CJK font kanji render as boxes, which is
# still a valid image (and plainly a test card).
_CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
)


@functools.cache
def cjk_font_path() -> Path | None:
    for candidate in _CJK_FONTS:
        path = Path(candidate)
        if path.is_file():
            return path
    for path in sorted(Path("/usr/share/fonts").glob("**/*CJK*")):
        if path.suffix.lower() in {".ttc", ".otf", ".ttf"}:
            return path
    return None


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = cjk_font_path()
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(str(path), size, index=0)  # index 0 of Noto's TTC = the JP variant


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def text_png(lines: list[str], *, height: int = 24, width: int | None = None) -> bytes:
    """Black text on white, 1 bit per pixel, `height` pixels per line."""
    font = _font(height - 4)
    widths = [int(font.getlength(line)) + 4 for line in lines] or [1]
    image = Image.new("1", (width or max(widths), height * max(1, len(lines))), 1)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((2, row * height), line, font=font, fill=0)
    return _png(image)


def wrap(text: str, max_per_line: int) -> list[str]:
    """Split into lines of at most `max_per_line` characters, balanced (no one-character tail)."""
    if not text:
        return [""]
    lines = -(-len(text) // max_per_line)
    per_line = -(-len(text) // lines)
    return [text[i : i + per_line] for i in range(0, len(text), per_line)]


def photo_jp2(source: bytes) -> bytes:
    """Any image Pillow reads → greyscale, cropped to 90×110, JPEG 2000 in a JP2 container."""
    with Image.open(io.BytesIO(source)) as image:
        grey = ImageOps.fit(ImageOps.exif_transpose(image).convert("L"), PHOTO_SIZE)
    out = io.BytesIO()
    # An empty filename makes Pillow write the JP2 container (`jP  ` box), not a bare codestream.
    grey.save(out, format="JPEG2000", irreversible=True, quality_mode="rates", quality_layers=[_PHOTO_RATE])
    return out.getvalue()


def placeholder_portrait(seed: str) -> bytes:
    """A plainly synthetic head-and-shoulders drawing (PNG), varied a little by `seed`."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    width, height = 180, 220
    image = Image.new("L", (width, height), 228 + digest[0] % 20)
    draw = ImageDraw.Draw(image)
    skin, hair, clothes = 150 + digest[1] % 40, 20 + digest[2] % 70, 60 + digest[3] % 80
    draw.ellipse((20, 165, 160, 290), fill=clothes)  # shoulders
    draw.rectangle((75, 130, 105, 175), fill=skin)  # neck
    head = (50 + digest[4] % 10, 40, 130 - digest[5] % 10, 145)
    draw.ellipse(head, fill=skin)
    draw.chord((head[0] - 4, 30, head[2] + 4, 120), 180, 360, fill=hair)
    for eye_x in (72, 100):
        draw.ellipse((eye_x, 85, eye_x + 10, 93), fill=30)
    draw.line((80, 122, 100, 122), fill=60, width=3)
    draw.text((4, 4), "TEST", font=_font(20), fill=0)
    return _png(image)
