"""The quality gate (規則 64条の7 第6・7号: the equipment must perform and sit where it is bright
enough): is this frame good enough to match, and if not, what should the person do?

Pure: a grey frame, the faces found and the landmarks of the largest go in; issues come out,
most important first, each with the instruction for the person. The check records the issues
as reasons when it cannot proceed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.domain.coded import Coded
from kiosk.facecheck.pipeline import FaceBox, Landmarks5
from kiosk.facecheck.policy import FacePolicy


class QualityIssue(Coded):
    """Issue code → instruction for the person (the UI translates the English text)."""

    TOO_DARK = "The area is too dark. Please call staff."
    TOO_BRIGHT = "There is too much light behind or on you. Please call staff."
    NO_FACE = "Please look at the camera."
    MULTIPLE_FACES = "Only one person in front of the camera, please."
    TOO_FAR = "Please move closer."
    TOO_CLOSE = "Please move back a little."
    OFF_CENTRE = "Please move to the centre of the frame."
    NOT_FACING = "Please face the camera straight on."
    LOW_CONTRAST = "Your face is not lit evenly. Please call staff."
    BLURRED = "Please hold still."
    EYES_NOT_VISIBLE = "Please make sure your eyes are visible (no sunglasses or hands)."

    @property
    def instruction(self) -> str:
        return self.value

    @property
    def needs_staff(self) -> bool:
        """Issues the person cannot fix alone: the place or the lighting (64条の7 第7号)."""
        return self in (QualityIssue.TOO_DARK, QualityIssue.TOO_BRIGHT, QualityIssue.LOW_CONTRAST)


@dataclass(frozen=True)
class QualityReport:
    issues: tuple[QualityIssue, ...]
    brightness: float
    contrast: float
    sharpness: float | None

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def first(self) -> QualityIssue | None:
        return self.issues[0] if self.issues else None


def assess(
    grey: np.ndarray,
    faces: Sequence[FaceBox],
    landmarks: Landmarks5 | None,
    policy: FacePolicy,
    *,
    frontal: bool = True,
) -> QualityReport:
    """`frontal=False` while the person is asked to turn their head (the challenge)."""
    height, width = grey.shape[:2]
    face = faces[0] if faces else None
    region = _crop(grey, face) if face is not None else grey
    brightness, contrast = float(region.mean()), float(region.std())
    issues: list[QualityIssue] = []
    if brightness < policy.min_brightness:
        issues.append(QualityIssue.TOO_DARK)
    elif brightness > policy.max_brightness:
        issues.append(QualityIssue.TOO_BRIGHT)
    if face is None:
        issues.append(QualityIssue.NO_FACE)
        return QualityReport(tuple(issues), brightness, contrast, None)
    if len(faces) > 1:
        issues.append(QualityIssue.MULTIPLE_FACES)
    fraction = face.height / height
    if fraction < policy.min_face_fraction:
        issues.append(QualityIssue.TOO_FAR)
    elif fraction > policy.max_face_fraction:
        issues.append(QualityIssue.TOO_CLOSE)
    cx, cy = face.centre
    if max(abs(cx / width - 0.5), abs(cy / height - 0.5)) > policy.max_centre_offset:
        issues.append(QualityIssue.OFF_CENTRE)
    if (
        landmarks is not None
        and frontal
        and (
            abs(landmarks.yaw_offset) > policy.max_yaw_offset
            or abs(landmarks.roll_degrees) > policy.max_roll_degrees
        )
    ):
        issues.append(QualityIssue.NOT_FACING)
    sharpness = _sharpness(region)
    if issues and issues[0] in (QualityIssue.TOO_DARK, QualityIssue.TOO_BRIGHT):
        # Detail, contrast and the eyes cannot be judged in bad light: the light is the issue.
        return QualityReport(tuple(issues), brightness, contrast, sharpness)
    if contrast < policy.min_contrast and not issues:
        issues.append(QualityIssue.LOW_CONTRAST)
    if sharpness < policy.min_sharpness:
        issues.append(QualityIssue.BLURRED)
    if landmarks is not None and _eye_contrast(grey, landmarks) < policy.min_eye_contrast:
        issues.append(QualityIssue.EYES_NOT_VISIBLE)
    return QualityReport(tuple(issues), brightness, contrast, sharpness)


def _crop(grey: np.ndarray, face: FaceBox) -> np.ndarray:
    region = grey[max(0, face.top) : face.bottom, max(0, face.left) : face.right]
    return region if region.size else grey


def _sharpness(region: np.ndarray) -> float:
    """Variance of the Laplacian, on the face scaled to a fixed height so distance does not count."""
    scaled = cv2.resize(region, (max(1, round(region.shape[1] * 128 / region.shape[0])), 128))
    return float(cv2.Laplacian(scaled, cv2.CV_64F).var())


def _eye_contrast(grey: np.ndarray, landmarks: Landmarks5) -> float:
    """The lower grey-level spread of the two eye patches: an open eye (iris, white, lid) varies,
    a lens or a hand over it does not."""
    half = max(2, round(landmarks.inter_ocular * 0.2))
    spreads = []
    for x, y in landmarks.eyes:
        patch = grey[max(0, round(y) - half) : round(y) + half, max(0, round(x) - half) : round(x) + half]
        spreads.append(float(patch.std()) if patch.size else 0.0)
    return min(spreads)
