"""Build resources/faceset/: live frames, passport crops and card photos from registry-shipped images.

The only real face photos we may ship come inside packages on PyPI (FACE.md §3). This script fetches
them with pip, checks every image against a pinned SHA-256, and derives:

- `<identity>-<n>.jpg`       a 640×480 "camera frame", face centred, ~230 px tall (role "live");
- `<identity>-passport.png`  a 270×330 ID-style crop (face ~60 % of the height) (role "passport");
- `<identity>-card.jp2`      `cardemu.images.photo_jp2(passport)`, what the chip would hold (role "card");
- `manifest.json`            provenance, licence and face box of every file, plus the distance checks.

    .venv/bin/python tools/build_faceset.py --out resources/faceset

Detection and alignment use dlib's HOG detector and the public-domain 5-point / ResNet models only
(never the 68-point model: its training data forbids commercial use; hence no `face_recognition`).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import dlib
import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cardemu.images import PHOTO_SIZE, photo_jp2  # noqa: E402

FRAME_SIZE = (640, 480)
LIVE_FACE_PX = 225  # target HOG box height in a live frame
LIVE_FACE_RANGE = (205, 250)  # ~200–260 wanted; HOG's box sizes come in ~20 % steps (…, 180, 216, 259, …)
PASSPORT_SIZE = (
    PHOTO_SIZE[0] * 3,
    PHOTO_SIZE[1] * 3,
)  # 270×330: same 9:11 aspect, so photo_jp2 crops nothing
PASSPORT_FACE_SHARE = 0.60  # HOG box height / passport height
PASSPORT_FACE_RANGE = (0.54, 0.66)  # as measured by HOG's stepped box sizes
PASSPORT_FACE_TOP = 0.25  # HOG box top / passport height: the box starts at the brows; hair goes above
JPEG_QUALITY = 92


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    pip_args: tuple[str, ...]  # how to get the archive that holds the images
    licence: str  # as FACE.md §3 states it


@dataclass(frozen=True)
class SourceImage:
    package: Package
    member: str  # path inside the unpacked package (sdist: below its top folder)
    sha256: str
    licence: str


FACE_RECOGNITION = Package(
    "face_recognition",
    "1.3.0",
    ("--no-binary", ":all:"),  # the wheel has no tests/; the sdist has tests/test_images/
    "MIT (package); no separate image licence",
)
SCIKIT_IMAGE = Package("scikit-image", "0.26.0", ("--only-binary", ":all:"), "BSD-3-Clause (package)")

SOURCES: dict[str, SourceImage] = {
    "obama": SourceImage(
        FACE_RECOGNITION,
        "tests/test_images/obama.jpg",
        "0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6",
        FACE_RECOGNITION.licence,
    ),
    "obama2": SourceImage(
        FACE_RECOGNITION,
        "tests/test_images/obama2.jpg",
        "a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6",
        FACE_RECOGNITION.licence,
    ),
    "obama3": SourceImage(
        FACE_RECOGNITION,
        "tests/test_images/obama3.jpg",
        "76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3",
        FACE_RECOGNITION.licence,
    ),
    "biden": SourceImage(
        FACE_RECOGNITION,
        "tests/test_images/biden.jpg",
        "3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c",
        FACE_RECOGNITION.licence,
    ),
    "astronaut": SourceImage(
        SCIKIT_IMAGE,
        "skimage/data/astronaut.png",
        "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
        "BSD-3-Clause (package); image: Eileen Collins, NASA, public domain",
    ),
}
# insightface's Tom_Hanks_54745.png is left out: FACE.md says its image licence is not stated (and the
# project's pretrained data is non-commercial), so it must not be committed; it is also a 112×112 chip.


@dataclass(frozen=True)
class Identity:
    passport: str  # source key; a different photo than the live frames wherever the identity has one
    live: tuple[str, ...]


IDENTITIES: dict[str, Identity] = {
    "obama": Identity(passport="obama", live=("obama2", "obama3")),
    "biden": Identity(passport="biden", live=("biden",)),
    "astronaut": Identity(passport="astronaut", live=("astronaut",)),
}


class Models:
    """dlib's HOG detector and the public-domain 5-point and ResNet models of face_recognition_models."""

    def __init__(self) -> None:
        spec = importlib.util.find_spec("face_recognition_models")
        if spec is None or spec.origin is None:
            raise SystemExit("face_recognition_models is not installed")
        models = Path(spec.origin).parent / "models"
        self.detector = dlib.get_frontal_face_detector()
        self.shapes = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
        self.encoder = dlib.face_recognition_model_v1(
            str(models / "dlib_face_recognition_resnet_model_v1.dat")
        )

    def faces(self, rgb: np.ndarray, upsample: int = 0) -> list[dlib.rectangle]:
        return list(self.detector(rgb, upsample))

    def one_face(self, rgb: np.ndarray, what: str, upsample: int = 0) -> dlib.rectangle:
        found = self.faces(rgb, upsample)
        if len(found) != 1:
            raise SystemExit(f"{what}: dlib HOG (upsample {upsample}) found {len(found)} faces, expected 1")
        return found[0]

    def landmarks(self, rgb: np.ndarray, box: dlib.rectangle) -> list[tuple[int, int]]:
        shape = self.shapes(rgb, box)
        return [(shape.part(i).x, shape.part(i).y) for i in range(5)]

    def encode(self, rgb: np.ndarray, box: dlib.rectangle) -> np.ndarray:
        return np.array(self.encoder.compute_face_descriptor(rgb, self.shapes(rgb, box), 1))


def fetch(package: Package, into: Path) -> Path:
    """pip download (no dependencies) of the pinned version; returns the archive."""
    target = into / package.name
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(target)]
    command += [*package.pip_args, f"{package.name}=={package.version}"]
    subprocess.run(command, check=True)  # noqa: S603 - fixed argv, pinned names, no shell
    (archive,) = target.iterdir()
    return archive


def read_member(archive: Path, member: str) -> bytes:
    """One file out of an sdist (.tar.gz, below its top folder) or a wheel; nothing else is extracted."""
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel:
            return wheel.read(member)
    with tarfile.open(archive) as sdist:
        top = sdist.getnames()[0].split("/")[0]
        handle = sdist.extractfile(f"{top}/{member}")
        if handle is None:
            raise SystemExit(f"{archive.name}: {member} is not a regular file")
        return handle.read()


def rgb_array(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))


def box_list(box: dlib.rectangle) -> list[int]:
    return [box.left(), box.top(), box.width(), box.height()]


def crop(rgb: np.ndarray, centre: tuple[float, float], scale: float, size: tuple[int, int]) -> np.ndarray:
    """Scale the image by `scale`, then cut `size` around the scaled `centre`; edges replicated where short.

    Resizing the whole image first lets INTER_AREA do the downscaling (warpAffine cannot), and the cut
    is then on whole pixels, so the picture is resampled once.
    """
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    scaled = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=interpolation)
    left = round(centre[0] * scale - size[0] / 2)
    top = round(centre[1] * scale - size[1] / 2)
    pad_l, pad_t = max(0, -left), max(0, -top)
    pad_r = max(0, left + size[0] - scaled.shape[1])
    pad_b = max(0, top + size[1] - scaled.shape[0])
    padded = cv2.copyMakeBorder(scaled, pad_t, pad_b, pad_l, pad_r, cv2.BORDER_REPLICATE)
    out = padded[top + pad_t : top + pad_t + size[1], left + pad_l : left + pad_l + size[0]]
    if pad_l or pad_t or pad_r or pad_b:
        # Replicated edges are stripes; a blur makes them read as an out-of-focus background
        # and keeps them from looking like texture a detector could latch on to.
        mask = np.ones(out.shape[:2], np.float32)
        x0, y0 = max(0, -left), max(0, -top)
        x1, y1 = min(size[0], scaled.shape[1] - left), min(size[1], scaled.shape[0] - top)
        mask[y0:y1, x0:x1] = 0  # 1 where the pixels are replicated, 0 over the real image
        mask = cv2.GaussianBlur(mask, (0, 0), 8)[..., None]
        blurred = cv2.GaussianBlur(out, (0, 0), 12)
        out = (out * (1 - mask) + blurred * mask).round().astype(np.uint8)
    return np.ascontiguousarray(out)


def centre_of(box: dlib.rectangle) -> tuple[float, float]:
    return ((box.left() + box.right()) / 2, (box.top() + box.bottom()) / 2)


def live_frame(models: Models, rgb: np.ndarray, what: str) -> tuple[np.ndarray, dlib.rectangle]:
    """A 640×480 frame with the face centred and its HOG box within LIVE_FACE_RANGE.

    HOG reports boxes in steps of ~20 % (its pyramid), so the scale from the source box can land on
    the next step; a few corrections pull it back inside the range.
    """
    box = models.one_face(rgb, what)  # upsample 0: at 1 HOG finds a second "face" in astronaut.png
    centre, scale = centre_of(box), LIVE_FACE_PX / box.height()
    for _ in range(4):
        frame = crop(rgb, centre, scale, FRAME_SIZE)
        out_box = models.one_face(frame, f"{what} live frame")
        if LIVE_FACE_RANGE[0] <= out_box.height() <= LIVE_FACE_RANGE[1]:
            return frame, out_box
        scale *= LIVE_FACE_PX / out_box.height()
    raise SystemExit(f"{what}: live face {out_box.height()} px, outside {LIVE_FACE_RANGE}")


def passport(models: Models, rgb: np.ndarray, what: str) -> tuple[np.ndarray, dlib.rectangle]:
    """A 9:11 ID-style crop: HOG box ~60 % of the height, its top a quarter of the way down."""
    box = models.one_face(rgb, what)
    scale = PASSPORT_SIZE[1] * PASSPORT_FACE_SHARE / box.height()
    cx, _ = centre_of(box)
    # crop() centres; shift the centre so the box top lands at PASSPORT_FACE_TOP of the height
    cy = box.top() + (0.5 - PASSPORT_FACE_TOP) * PASSPORT_SIZE[1] / scale
    image = crop(rgb, (cx, cy), scale, PASSPORT_SIZE)
    out_box = models.one_face(image, f"{what} passport")
    share = out_box.height() / PASSPORT_SIZE[1]
    if not PASSPORT_FACE_RANGE[0] <= share <= PASSPORT_FACE_RANGE[1]:
        raise SystemExit(f"{what}: passport face {share:.0%} of the height, outside {PASSPORT_FACE_RANGE}")
    return image, out_box


def card_check_image(jp2: bytes) -> np.ndarray:
    """The chip photo as a matcher would see it: decoded, upscaled ×2 (HOG misses faces under ~64 px)."""
    with Image.open(io.BytesIO(jp2)) as image:
        grey = np.asarray(image.convert("L"))
    grey = cv2.resize(grey, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(np.stack([grey] * 3, axis=-1))


def png_bytes(rgb: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="PNG", optimize=True)
    return out.getvalue()


def jpeg_bytes(rgb: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def provenance(key: str) -> dict[str, str]:
    source = SOURCES[key]
    return {
        "package": source.package.name,
        "version": source.package.version,
        "path": source.member,
        "sha256": source.sha256,
        "licence": source.licence,
    }


def load_sources(workdir: Path) -> dict[str, bytes]:
    archives = {pkg.name: fetch(pkg, workdir) for pkg in {s.package for s in SOURCES.values()}}
    images: dict[str, bytes] = {}
    for key, source in SOURCES.items():
        data = read_member(archives[source.package.name], source.member)
        digest = hashlib.sha256(data).hexdigest()
        if digest != source.sha256:
            raise SystemExit(
                f"{source.member} in {source.package.name}: sha256 {digest}, expected {source.sha256}"
            )
        images[key] = data
    return images


def build(out: Path, images: dict[str, bytes], models: Models) -> dict[str, dict[str, float]]:
    """Writes every file and the manifest; returns the live-to-card distances."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, object]] = {}
    live_codes: dict[str, np.ndarray] = {}
    card_codes: dict[str, np.ndarray] = {}
    for identity, plan in IDENTITIES.items():
        for n, key in enumerate(plan.live, start=1):
            name = f"{identity}-{n}.jpg"
            frame, _ = live_frame(models, rgb_array(images[key]), key)
            (out / name).write_bytes(jpeg_bytes(frame))
            frame = rgb_array((out / name).read_bytes())  # measure what was written, after JPEG
            box = models.one_face(frame, name)
            files[name] = {
                "identity": identity,
                "role": "live",
                "source": provenance(key),
                "face_box": box_list(box),
                "landmarks5": [list(p) for p in models.landmarks(frame, box)],
            }
            live_codes[name] = models.encode(frame, box)
        image, box = passport(models, rgb_array(images[plan.passport]), plan.passport)
        name = f"{identity}-passport.png"
        data = png_bytes(image)
        (out / name).write_bytes(data)
        files[name] = {
            "identity": identity,
            "role": "passport",
            "source": provenance(plan.passport),
            "face_box": box_list(box),
        }
        card_name = f"{identity}-card.jp2"
        jp2 = photo_jp2(data)
        (out / card_name).write_bytes(jp2)
        check = card_check_image(jp2)
        card_box = models.one_face(check, f"{card_name} (×2)")
        files[card_name] = {
            "identity": identity,
            "role": "card",
            "source": provenance(plan.passport),
            "derived_from": name,
            # in the 90×110 card image; found on the ×2 cubic upscale
            "face_box": [round(v / 2) for v in box_list(card_box)],
        }
        card_codes[card_name] = models.encode(check, card_box)
    distances = {
        live: {
            card: round(float(np.linalg.norm(code - card_code)), 3) for card, card_code in card_codes.items()
        }
        for live, code in live_codes.items()
    }
    manifest: dict[str, object] = {
        "about": "Smoke/regression face images; see README.md. Boxes are [left, top, width, height] from "
        "dlib HOG (upsample 0); landmarks5 are dlib's 5-point model: 0,1 = outer,inner corner of the eye "
        "on the image's right, 2,3 = outer,inner corner of the eye on the image's left, 4 = base of the "
        "nose.",
        "files": files,
        "distances_live_to_card": {
            "how": "dlib ResNet v1, 5-point alignment, num_jitters=1; card photo decoded, upscaled ×2 cubic",
            "values": distances,
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return distances


def main() -> None:
    parser = argparse.ArgumentParser(description="Build resources/faceset from registry-shipped images.")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "faceset")
    args = parser.parse_args()
    models = Models()
    with tempfile.TemporaryDirectory(prefix="faceset-") as workdir:
        images = load_sources(Path(workdir))
    distances = build(args.out, images, models)
    for live, row in distances.items():
        print(live, " ".join(f"{card}={d:.3f}" for card, d in row.items()))
    total = sum(p.stat().st_size for p in args.out.iterdir() if p.is_file())
    print(f"{args.out}: {total:,} bytes")


if __name__ == "__main__":
    main()
