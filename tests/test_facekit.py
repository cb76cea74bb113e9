"""The synthetic camera clips (facekit/) are readable videos with the properties tests rely on."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import cv2
import dlib
import numpy as np
import pytest

import facekit

# Nose to the right, then to the left, then back: the kind of challenge the liveness check will issue.
TURNS = ((4, 14, 1.0), (18, 30, -1.0), (34, 42, 0.0))
TURN_FRAMES = 45


@functools.cache
def _models() -> tuple[dlib.fhog_object_detector, dlib.shape_predictor]:
    # dlib directly with the public-domain 5-point model; never `face_recognition` (it loads the 68-point one)
    spec = importlib.util.find_spec("face_recognition_models")
    assert spec is not None and spec.origin is not None
    models = Path(spec.origin).parent / "models"
    return dlib.get_frontal_face_detector(), dlib.shape_predictor(
        str(models / "shape_predictor_5_face_landmarks.dat")
    )


def _faces(frame: np.ndarray, upsample: int = 0) -> list[dlib.rectangle]:
    return list(_models()[0](frame, upsample))


def _landmarks(frame: np.ndarray, box: dlib.rectangle) -> np.ndarray:
    shape = _models()[1](frame, box)
    return np.array([(shape.part(i).x, shape.part(i).y) for i in range(5)], dtype=float)


def nose_offset(frame: np.ndarray) -> float:
    """Nose base's offset from the eye midpoint along the eye axis, in inter-eye distances.

    Along the eye axis rather than the image x axis, so that tilting the head (or the photo) sideways
    does not count as a turn: 3° of roll would otherwise shift it by ~0.04. Two passes: HOG's box
    size comes in ~20 % steps and the 5-point fit depends on the box, so a step alone moved the offset
    by up to 0.1; the second fit uses a box built from the first fit's eyes and nose instead.
    """
    (box,) = _faces(frame)
    p = _landmarks(frame, box)
    eye_a, eye_b = p[0:2].mean(axis=0), p[2:4].mean(axis=0)  # 0,1 and 2,3 are the corners of one eye each
    half = 1.2 * float(np.linalg.norm(eye_a - eye_b))
    cx, cy = (eye_a + eye_b + p[4]) / 3
    p = _landmarks(
        frame,
        dlib.rectangle(round(cx - half), round(cy - 0.9 * half), round(cx + half), round(cy + 1.1 * half)),
    )
    eye_a, eye_b = p[0:2].mean(axis=0), p[2:4].mean(axis=0)
    axis = eye_a - eye_b  # points to the image's right for an upright face
    return float(np.dot(p[4] - (eye_a + eye_b) / 2, axis) / np.dot(axis, axis))


def _frame_count(path: Path) -> int:
    capture = cv2.VideoCapture(str(path))
    try:
        assert capture.isOpened()
        assert capture.get(cv2.CAP_PROP_FRAME_WIDTH) == facekit.WIDTH
        assert capture.get(cv2.CAP_PROP_FRAME_HEIGHT) == facekit.HEIGHT
        return int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()


def test_landmark_indices_are_as_documented() -> None:
    # 0,1 belong to the eye on the image's right (0 = outer corner), 2,3 to the other, 4 under the nose
    face = facekit.live_face("astronaut")
    p = face.landmarks
    assert p[0, 0] > p[1, 0] > p[4, 0] > p[3, 0] > p[2, 0]
    assert p[4, 1] > p[0:4, 1].max()


def test_yaw_track_eases_and_holds() -> None:
    yaw = facekit.yaw_track(TURNS, TURN_FRAMES)
    assert yaw[0] == 0 and yaw[14] == 1.0 and yaw[26] < 0 and yaw[30:34].tolist() == [-1.0] * 4
    assert yaw[-1] == 0 and np.abs(np.diff(yaw)).max() < 0.3  # no jumps
    with pytest.raises(ValueError, match="bad script"):
        facekit.yaw_track([(5, 5, 1.0)], 10)


def test_every_generator_writes_a_readable_video(tmp_path: Path) -> None:
    live = facekit.live_clip(tmp_path / "live.avi", "biden", TURNS, frames=20)
    clips = {
        live: 20,
        facekit.photo_attack_clip(tmp_path / "photo.avi", "biden", frames=20): 20,
        facekit.card_photo_attack_clip(tmp_path / "card.avi", "biden", frames=12): 12,
        facekit.replay_clip(tmp_path / "replay.avi", live): 20,
        **{facekit.scene_clip(tmp_path / f"{kind}.avi", kind, frames=8): 8 for kind in facekit.SCENE_KINDS},
    }
    for path, expected in clips.items():
        assert path.suffix == ".avi"
        assert _frame_count(path) == expected, path.name
        frames = facekit.read_frames(path)
        assert len(frames) == expected, path.name
        assert frames[0].shape == (facekit.HEIGHT, facekit.WIDTH, 3)
    pattern = facekit.still_image_sequence(tmp_path / "seq", "biden", 5)
    assert sorted(p.name for p in pattern.parent.iterdir()) == [f"frame_{i:03d}.png" for i in range(5)]
    frames = facekit.read_frames(pattern)
    assert len(frames) == 5 and frames[0].shape == (facekit.HEIGHT, facekit.WIDTH, 3)


def test_clips_are_deterministic(tmp_path: Path) -> None:
    a = facekit.photo_attack_clip(tmp_path / "a.avi", "obama", TURNS, frames=10)
    b = facekit.photo_attack_clip(tmp_path / "b.avi", "obama", TURNS, frames=10)
    c = facekit.photo_attack_clip(tmp_path / "c.avi", "obama", TURNS, frames=10, seed=7)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()


@pytest.mark.parametrize("identity", ["obama", "astronaut"])
def test_head_turn_moves_the_nose_against_the_eyes_but_a_turned_photo_hardly_does(
    tmp_path: Path, identity: str
) -> None:
    def offsets(path: Path) -> np.ndarray:
        return np.array([nose_offset(f) for f in facekit.read_frames(path)[::3]])

    live = offsets(facekit.live_clip(tmp_path / "live.avi", identity, TURNS, frames=TURN_FRAMES))
    photos = {
        degrees: offsets(
            facekit.photo_attack_clip(
                tmp_path / f"photo{degrees}.avi", identity, TURNS, frames=TURN_FRAMES, turn_degrees=degrees
            )
        )
        for degrees in (15, 30)
    }
    yaw = facekit.yaw_track(TURNS, TURN_FRAMES)[::3]
    print(f"\n{identity}: live {live.min():+.3f}..{live.max():+.3f} (swing {np.ptp(live):.3f})", end="")
    for degrees, photo in photos.items():
        print(
            f"; photo {degrees}°: swing {np.ptp(photo):.3f}, max |Δ| {np.abs(photo - photo[0]).max():.3f}",
            end="",
        )
    assert np.ptp(live) > 0.15
    assert np.corrcoef(yaw, live)[0, 1] > 0.9  # the nose follows the script, in its direction
    assert np.abs(photos[15] - photos[15][0]).max() <= 0.05
    # At 30° perspective alone moves the offset (the same way as a real turn): a threshold must sit
    # between the two, not at zero.
    assert np.ptp(photos[30]) < 0.15 and np.ptp(live) > 2.5 * np.ptp(photos[30])


def test_replay_repeats_the_recorded_movement(tmp_path: Path) -> None:
    source = facekit.live_clip(tmp_path / "live.avi", "obama", TURNS, frames=TURN_FRAMES)
    replay = facekit.read_frames(facekit.replay_clip(tmp_path / "replay.avi", source))
    recorded = np.array([nose_offset(f) for f in facekit.read_frames(source)[::3]])
    replayed = np.array([nose_offset(f) for f in replay[::3]])
    assert np.corrcoef(recorded, replayed)[0, 1] > 0.9


def test_card_photo_attack_shows_one_face(tmp_path: Path) -> None:
    frames = facekit.read_frames(facekit.card_photo_attack_clip(tmp_path / "card.avi", "obama", frames=10))
    heights = [_faces(f)[0].height() for f in frames[::3] if len(_faces(f)) == 1]
    assert len(heights) == len(frames[::3])
    # the card's 180 px photo held close to the lens: as tall in the frame as a face at the counter
    assert min(heights) >= 150 and max(heights) <= 260


def _sharpness(frame: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())


def test_scene_clips_have_their_defect(tmp_path: Path) -> None:
    clips = {
        kind: facekit.read_frames(facekit.scene_clip(tmp_path / f"{kind}.avi", kind, frames=6))
        for kind in facekit.SCENE_KINDS
    }
    live = facekit.read_frames(facekit.live_clip(tmp_path / "live.avi", "obama", (), frames=6))
    assert all(len(_faces(f)) == 1 for f in live)

    assert all(len(_faces(f, upsample=1)) == 0 for f in clips["no_face"])
    assert all(len(_faces(f)) == 2 for f in clips["two_faces"])
    dark = clips["dark"]
    assert max(f.mean() for f in dark) < 40
    assert np.mean([f.std() for f in dark]) < 0.4 * np.mean([f.std() for f in live])
    for frame in clips["too_far"]:
        (box,) = _faces(frame, upsample=1)
        # HOG boxes come in ~20 % steps around the drawn height
        assert 0.75 * facekit.FAR_FACE_PX <= box.height() <= 1.25 * facekit.FAR_FACE_PX
    for frame in clips["off_centre"]:
        (box,) = _faces(frame)
        assert box.left() >= 0 and (box.left() + box.right()) / 2 < 0.25 * facekit.WIDTH
    assert max(_sharpness(f) for f in clips["blurred"]) < 0.1 * min(_sharpness(f) for f in live)
