"""The three dlib models the face check uses, loaded once: the HOG face detector, the **5-point**
landmark predictor and the ResNet face encoder (all public domain; FACE.md §1).

We load them with dlib directly from the `face_recognition_models` package rather than through
`face_recognition`: importing `face_recognition.api` also loads the 68-point predictor, whose
iBUG 300-W training data forbids commercial use. That model is never opened here, and the
packaged application leaves its file out (pyinstaller.spec).
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import dlib

SHAPE_5: Final = "shape_predictor_5_face_landmarks.dat"
ENCODER: Final = "dlib_face_recognition_resnet_model_v1.dat"


class FaceModelsMissing(RuntimeError):
    """The model files are not installed (a broken installation: staff must call support)."""


def models_dir() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        raise FaceModelsMissing("package face_recognition_models is not installed")
    return Path(spec.origin).parent / "models"


@dataclass(frozen=True)
class FaceModels:
    detector: Any  # dlib.fhog_object_detector
    shape_5: Any  # dlib.shape_predictor
    encoder: Any  # dlib.face_recognition_model_v1
    # dlib's models are not documented as thread-safe; one check at a time uses them.
    lock: threading.Lock

    @classmethod
    def load(cls, directory: Path | None = None) -> FaceModels:
        base = directory or models_dir()
        missing = [name for name in (SHAPE_5, ENCODER) if not (base / name).is_file()]
        if missing:
            raise FaceModelsMissing(f"face model file(s) missing in {base}: {', '.join(missing)}")
        return cls(
            dlib.get_frontal_face_detector(),
            dlib.shape_predictor(str(base / SHAPE_5)),
            dlib.face_recognition_model_v1(str(base / ENCODER)),
            threading.Lock(),
        )


@functools.cache
def default_models() -> FaceModels:
    """Loaded on first use (≈0.7 s), then shared by every check in the process."""
    return FaceModels.load()
