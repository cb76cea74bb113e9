"""The OpenCV and face-check part of `kiosk selftest` (kiosk/selftest.py runs these; only
kiosk/facecheck touches OpenCV and dlib).

The face images are a genuine pair from resources/faceset (README there): a 640×480 camera frame
and the same person's card photo, a 90×110 grey JPEG 2000 as the chip stores it. Nothing is
written anywhere; arrays are wiped like in a real check.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from kiosk.facecheck.check import FaceDecision, Guidance
from kiosk.facecheck.matcher import ProcessMatcher
from kiosk.facecheck.models import FaceModels, models_dir
from kiosk.facecheck.pipeline import FacePipeline, distance, wipe
from kiosk.facecheck.policy import DEFAULT_POLICY


class FaceCheckFailed(Exception):
    pass


def check_opencv(card_photo: bytes) -> str:
    """PNG and JPEG round trips of an image made here, and the card photo's JPEG 2000 (OpenJPEG
    inside OpenCV: the face check's reference decodes with it)."""
    ramp = np.arange(48 * 64 * 3, dtype=np.uint32).reshape(48, 64, 3)
    image = (ramp % 251).astype(np.uint8)
    ok, png = cv2.imencode(".png", image)
    decoded = cv2.imdecode(png, cv2.IMREAD_COLOR) if ok else None
    if decoded is None or not np.array_equal(decoded, image):
        raise FaceCheckFailed("a PNG made here did not decode to the same pixels")
    ok, jpeg = cv2.imencode(".jpg", image)
    decoded = cv2.imdecode(jpeg, cv2.IMREAD_COLOR) if ok else None
    if decoded is None or decoded.shape != image.shape:
        raise FaceCheckFailed("a JPEG made here did not decode")
    card = cv2.imdecode(np.frombuffer(card_photo, np.uint8), cv2.IMREAD_GRAYSCALE)
    if card is None:
        raise FaceCheckFailed("the JPEG 2000 card photo did not decode")
    height, width = card.shape
    wipe(card)
    return f"OpenCV {cv2.__version__}: PNG and JPEG round trips, JPEG 2000 card photo {width}×{height}"


def _frame(path: Path) -> np.ndarray:
    frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if frame is None:
        raise FaceCheckFailed(f"cannot read {path}")
    return frame


def check_encoding(card_photo: bytes, frame_path: Path) -> str:
    """The dlib models load from face_recognition_models' files (never through face_recognition,
    see kiosk/facecheck/models.py), both faces encode, and the genuine pair matches."""
    started = time.monotonic()
    models = FaceModels.load()
    loaded = time.monotonic() - started
    pipeline = FacePipeline(models, DEFAULT_POLICY)
    reference = pipeline.reference(card_photo)
    bgr = _frame(frame_path)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    live: np.ndarray | None = None
    try:
        faces = pipeline.detect(grey)
        if len(faces) != 1:
            raise FaceCheckFailed(f"{len(faces)} faces found in {frame_path.name}, expected 1")
        live = pipeline.observe(rgb, faces[0], encode=True).encoding
        assert live is not None
        gap = distance(reference, live)
    finally:
        wipe(bgr, rgb, grey, reference, live)
    threshold = DEFAULT_POLICY.match_threshold
    if gap > threshold:
        raise FaceCheckFailed(f"the genuine pair is {gap:.3f} apart, above the threshold {threshold:.2f}")
    return (
        f"models from {models_dir()} in {loaded:.1f} s; card photo and camera frame encoded, "
        f"distance {gap:.3f} ≤ {threshold:.2f}"
    )


def check_matcher_process(card_photo: bytes, frame_path: Path) -> str:
    """The kiosk's matcher child (multiprocessing `spawn`: in the frozen build this starts the
    executable again, through multiprocessing.freeze_support in kiosk.cli.main) loads the models,
    takes the card photo and answers a frame."""
    frame = _frame(frame_path)
    started = time.monotonic()
    matcher = ProcessMatcher()
    try:
        matcher.start()
        pid = matcher.pid
        ready = time.monotonic() - started
        # No liveness challenge, so nothing random is drawn: rng None as in production.
        matcher.begin(card_photo, liveness_required=False, rng=None)
        try:
            answer = matcher.feed(frame, 0.0)
        finally:
            matcher.end()
    finally:
        matcher.close()
        wipe(frame)
    if not isinstance(answer, Guidance | FaceDecision):
        raise FaceCheckFailed(f"the matcher answered {answer!r}")
    said = answer.code if isinstance(answer, Guidance) else answer.outcome.value
    return f"child process {pid} ready in {ready:.1f} s, took the card photo, answered a frame: {said}"
