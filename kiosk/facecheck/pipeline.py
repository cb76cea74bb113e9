"""Per-frame work: find faces cheaply, place the 5 landmarks, encode; and the card photo as the
reference. Every array made here is biometric data: callers wipe it (`wipe`) when done.

Detection runs on a downscaled grey copy with no upsampling (FACE.md §4: 28 ms at 640×480 vs
~7 ms at half size); a counter camera sees a face of 150 px or more, which survives halving.
The landmarks and the encoding use the full-resolution frame, so the downscale costs no accuracy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import dlib
import numpy as np

from kiosk.facecheck.models import FaceModels
from kiosk.facecheck.policy import FacePolicy

Image = np.ndarray  # uint8, H×W×3 (BGR from OpenCV, RGB for dlib) or H×W grey


class CardPhotoUnusable(Exception):
    """The card photo does not yield exactly one face: the machine cannot check this card."""


@dataclass(frozen=True)
class FaceBox:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.left + self.right) / 2, (self.top + self.bottom) / 2)

    def rect(self) -> Any:
        return dlib.rectangle(self.left, self.top, self.right, self.bottom)


@dataclass(frozen=True)
class Landmarks5:
    """dlib's 5 points: 0–1 the corners of one eye (the image's right in dlib's model), 2–3 the
    other, 4 the base of the nose."""

    points: tuple[tuple[float, float], ...]

    @property
    def eyes(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Eye centres, the image's left one first (whatever order the model gives them in)."""
        p = self.points
        a, b = _mid(p[0], p[1]), _mid(p[2], p[3])
        return (a, b) if a[0] <= b[0] else (b, a)

    @property
    def inter_ocular(self) -> float:
        a, b = self.eyes
        return math.dist(a, b)

    @property
    def yaw_offset(self) -> float:
        """Where the nose sits between the eyes, along the eye line, in inter-ocular distances:
        0 facing the camera; it moves when the head turns (the nose stands out of the face's
        plane) and stays put when a flat picture is turned, tilted or moved."""
        (ax, ay), (bx, by) = self.eyes
        mx, my = (ax + bx) / 2, (ay + by) / 2
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy) or 1.0
        nx, ny = self.points[4]
        return ((nx - mx) * dx + (ny - my) * dy) / (length * length)

    @property
    def roll_degrees(self) -> float:
        (ax, ay), (bx, by) = self.eyes
        return math.degrees(math.atan2(by - ay, bx - ax))


@dataclass
class Observation:
    """One face in one frame. `encoding` only when the frame was encoded."""

    box: FaceBox
    landmarks: Landmarks5
    encoding: np.ndarray | None = None
    shape: Any = None  # dlib's landmark fit, kept so encoding later does not fit it again


class FacePipeline:
    def __init__(self, models: FaceModels, policy: FacePolicy) -> None:
        self.models = models
        self.policy = policy

    def detect(self, grey: Image) -> list[FaceBox]:
        """Faces in a grey frame, in full-frame coordinates, largest first.

        At half size HOG's 80 px window only finds faces ≥ 160 px tall; when it finds none, the
        full-size frame is searched too (≈4× the cost, only on empty frames) so that a person
        standing too far back is told to come closer rather than to look at the camera."""
        scale = self.policy.detect_scale
        boxes = self._detect_at(grey, scale)
        if not boxes and scale < 1:
            boxes = self._detect_at(grey, 1.0)
        return sorted(boxes, key=lambda b: b.width * b.height, reverse=True)

    def _detect_at(self, grey: Image, scale: float) -> list[FaceBox]:
        small = (
            grey if scale == 1 else cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        )
        try:
            with self.models.lock:
                rects = self.models.detector(small, self.policy.detect_upsample)
        finally:
            if small is not grey:
                wipe(small)
        return [
            FaceBox(
                max(0, round(r.left() / scale)),
                max(0, round(r.top() / scale)),
                min(grey.shape[1], round(r.right() / scale)),
                min(grey.shape[0], round(r.bottom() / scale)),
            )
            for r in rects
        ]

    def observe(self, rgb: Image, box: FaceBox, *, encode: bool) -> Observation:
        with self.models.lock:
            first = self.models.shape_5(rgb, box.rect())
            # HOG boxes come in ~20 % size steps and the 5-point fit follows the box: a step alone
            # moved the nose against the eyes by up to 0.1 inter-ocular (most of a head turn).
            # A second fit on a box built from the first fit's own points does not jump.
            shape = self.models.shape_5(rgb, _box_around(_points(first)).rect())
            encoding = (
                np.asarray(
                    self.models.encoder.compute_face_descriptor(rgb, shape, self.policy.encode_jitters)
                )
                if encode
                else None
            )
        return Observation(box, Landmarks5(_points(shape)), encoding, shape)

    def encode(self, rgb: Image, observation: Observation) -> np.ndarray:
        """The encoding of an observed face, from the landmark fit already made."""
        with self.models.lock:
            return np.asarray(
                self.models.encoder.compute_face_descriptor(
                    rgb, observation.shape, self.policy.encode_jitters
                )
            )

    def reference(self, photo_jp2: bytes | bytearray) -> np.ndarray:
        """The card photo's encoding. The photo is small (≈90×110 grey, FACE.md §2, §5.3), below
        what the detector finds without help: it is upscaled ×2 first, then decoded arrays are
        wiped. Raises CardPhotoUnusable unless there is exactly one face."""
        grey = cv2.imdecode(np.frombuffer(photo_jp2, np.uint8), cv2.IMREAD_GRAYSCALE)
        if grey is None:
            raise CardPhotoUnusable("the card photo cannot be decoded")
        big = cv2.resize(grey, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        rgb = cv2.cvtColor(big, cv2.COLOR_GRAY2RGB)
        try:
            with self.models.lock:
                rects = self.models.detector(big, 0) or self.models.detector(big, 1)
            if len(rects) != 1:
                raise CardPhotoUnusable(f"the card photo shows {len(rects)} faces")
            r = rects[0]
            box = FaceBox(r.left(), r.top(), r.right(), r.bottom())
            observation = self.observe(rgb, box, encode=True)
            assert observation.encoding is not None
            return observation.encoding
        finally:
            wipe(grey, big, rgb)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance of two 128-d encodings (dlib's metric; 0.6 is its LFW threshold)."""
    return float(np.linalg.norm(a - b))


def wipe(*arrays: np.ndarray | None) -> None:
    """Overwrite biometric arrays in place: freed memory is not cleared by Python."""
    for array in arrays:
        if array is not None and array.flags.writeable:
            array.fill(0)


def _points(shape: Any) -> tuple[tuple[float, float], ...]:
    return tuple((float(shape.part(i).x), float(shape.part(i).y)) for i in range(5))


def _box_around(points: tuple[tuple[float, float], ...]) -> FaceBox:
    """A face box placed by the eyes and the nose: centred on their centroid, 2.4 eye distances
    wide, a little more below than above (the face continues down to the chin)."""
    landmarks = Landmarks5(points)
    (ax, ay), (bx, by) = landmarks.eyes
    half = 1.2 * landmarks.inter_ocular
    cx, cy = (ax + bx + points[4][0]) / 3, (ay + by + points[4][1]) / 3
    return FaceBox(round(cx - half), round(cy - 0.9 * half), round(cx + half), round(cy + 1.1 * half))


def _mid(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
