"""Every threshold and fusion rule of the face check, in one object, with where each comes from.
The evaluation that justifies the numbers is docs/face-check.md (`kiosk face eval`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FacePolicy:
    # --- matching (distance between 128-d ResNet encodings; lower = more alike) ---
    # Accept at or below this. dlib's LFW threshold is 0.6 (FMR "order 1e-3..1e-2", FACE.md §1);
    # the greyscale JP2 card photo keeps genuine pairs at 0.36–0.45 (FACE.md §5.3; our set:
    # frontal frames 0.358–0.434, impostors from 0.761), so 0.5 buys a lower FMR for little FNMR,
    # and a miss falls back to staff or the PIN. The argument: docs/face-check.md, Evaluation.
    match_threshold: float = 0.50
    # A copy of the card photo held up matches it at 0.04–0.38 (our set: fused 0.060–0.075;
    # FACE.md §5.4), the live holder at ≥ 0.358 here: a fused distance below this is treated as
    # a presented picture.
    replay_distance: float = 0.25
    frames_to_fuse: int = 5  # encoded good frames; the decision uses their median distance
    # --- detection and encoding costs (FACE.md §4) ---
    detect_scale: float = 0.5
    detect_upsample: int = 0
    encode_jitters: int = 1
    # --- quality gate (64条の7 第6・7号) ---
    min_brightness: float = 60.0  # mean grey level of the face region, 0–255
    max_brightness: float = 210.0
    min_contrast: float = 22.0  # standard deviation of the face region's grey levels
    min_sharpness: float = 40.0  # variance of the Laplacian on the face scaled to 128 px tall
    min_face_fraction: float = 0.28  # face box height / frame height: nearer than ~1 m
    max_face_fraction: float = 0.80
    max_centre_offset: float = 0.22  # face centre from frame centre, as a fraction of the frame
    max_yaw_offset: float = 0.18  # nose off the eyes' midpoint while asked to face the camera
    max_roll_degrees: float = 20.0
    min_eye_contrast: float = 12.0  # grey std around each eye: sunglasses and hands are flat
    # --- presentation-attack challenge (head turns) ---
    # Each direction drawn at random: a replay of one recording follows the order asked 1 time in
    # 2^turns. Measured with 2 turns: replays accepted 4/16 (docs/face-check.md); 3 turns make it
    # 1 in 8 for ~2 s more. Central per-card attempt limits bound the retries (issue 6).
    challenge_turns: int = 3
    turn_threshold: float = 0.15  # yaw offset change from the frontal baseline that counts as a turn
    turn_timeout: float = 5.0  # seconds to perform one turn after it is asked
    # --- whole check ---
    max_duration: float = 40.0  # seconds before the machine gives up (→ fallback)
    positioning_timeout: float = 20.0  # seconds without a usable frame before giving up

    def __post_init__(self) -> None:
        if not 0 < self.replay_distance < self.match_threshold:
            raise ValueError("replay_distance must lie between 0 and match_threshold")
        if self.frames_to_fuse < 1 or self.challenge_turns < 0:
            raise ValueError("frames_to_fuse ≥ 1 and challenge_turns ≥ 0")
        if not 0 < self.detect_scale <= 1:
            raise ValueError("detect_scale must be in (0, 1]")


DEFAULT_POLICY = FacePolicy()
