"""Synthetic camera clips for the face check, written as real video files (MJPG .avi, 640×480, 15 fps).

The kiosk reads its camera through cv2.VideoCapture, and a file opens through the same call, so these
clips exercise the real capture path. Everything is built from resources/faceset (tools/build_faceset.py)
and is deterministic: each generator draws from a numpy RNG seeded from its arguments unless given `seed`.

Head turns (`Script`): a sequence of (start_frame, end_frame, yaw). Between start and end the yaw eases
from its previous value to `yaw` and then holds; yaw is in [-1, 1], positive moves the nose towards the
image's right (the person's left in an unmirrored camera). ±1 is a clear turn: it moves dlib's 5-point nose
base by ~0.20–0.24 inter-eye distances against the eyes on the faceset's identities (how many degrees
that is for a real head was not measured). Planar attacks turn by `turn_degrees` per unit of yaw.

A live head turn is a 3-D motion: the nose, in front of the eye corners, moves further than they do, and
the face outline and the background hardly move. A printed photo or a screen is a plane: however it is
turned, nose and eyes move together. The clips model exactly this difference (and nothing about blinks).
"""

from __future__ import annotations

import functools
import json
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

FACESET = Path(__file__).resolve().parents[1] / "resources" / "faceset"
WIDTH, HEIGHT = 640, 480
FPS = 15.0
FOCAL = 700.0  # pixels: a webcam's ~50° horizontal field of view at 640 px
YAW_DEGREES = 30.0  # default planar turn of a photo for yaw = 1
FAR_FACE_PX = 100  # too_far: a face this tall (0.21 of the frame) stands ~1.5 m back
SCENE_KINDS = ("no_face", "two_faces", "dark", "too_far", "off_centre", "blurred")

Script = Sequence[tuple[int, int, float]]


@dataclass(frozen=True)
class Face:
    """One live frame of the faceset and where its face is."""

    image: np.ndarray  # 480×640×3 RGB uint8, read-only
    box: tuple[int, int, int, int]  # left, top, width, height (dlib HOG)
    landmarks: np.ndarray  # 5×2: eye corners 0,1 (image right eye), 2,3 (image left eye), 4 nose base

    @property
    def centre(self) -> tuple[float, float]:
        left, top, width, height = self.box
        return left + width / 2, top + height / 2


@functools.cache
def _manifest() -> dict[str, dict[str, object]]:
    return json.loads((FACESET / "manifest.json").read_text())["files"]


@functools.cache
def live_face(identity: str, n: int = 1) -> Face:
    name = f"{identity}-{n}.jpg"
    entry = _manifest()[name]
    image = np.asarray(Image.open(FACESET / name).convert("RGB"))
    image.flags.writeable = False  # cached and shared between clips
    box = tuple(int(v) for v in entry["face_box"])  # type: ignore[union-attr]
    landmarks = np.array(entry["landmarks5"], dtype=np.float32)
    return Face(image, box, landmarks)  # type: ignore[arg-type]


def identities() -> list[str]:
    return sorted({str(e["identity"]) for e in _manifest().values()})


def _rng(seed: int | None, *key: object) -> np.random.Generator:
    # Same arguments → same clip, byte for byte; a different clip kind → a different stream.
    return np.random.default_rng(seed if seed is not None else zlib.crc32(repr(key).encode()))


def _smooth(
    rng: np.random.Generator, frames: int, amplitude: float, periods: tuple[float, float]
) -> np.ndarray:
    """A slow wander within ±amplitude: three sines of random period (seconds) and phase."""
    t = np.arange(frames) / FPS
    weights = rng.uniform(0.5, 1.0, 3)
    out = np.zeros(frames)
    for weight in weights:
        out += weight * np.sin(2 * np.pi * t / rng.uniform(*periods) + rng.uniform(0, 2 * np.pi))
    return out * amplitude / weights.sum()


def yaw_track(script: Script, frames: int) -> np.ndarray:
    """Per-frame yaw for a script; smoothstep easing so the turn starts and stops gently."""
    yaw = np.zeros(frames)
    current = 0.0
    for start, end, target in sorted(script):
        if not (0 <= start < end and -1.0 <= target <= 1.0):
            raise ValueError(f"bad script step {(start, end, target)}")
        t = np.clip((np.arange(frames) - start) / (end - start), 0.0, 1.0)
        ease = t * t * (3 - 2 * t)
        yaw = np.where(np.arange(frames) >= start, current + (target - current) * ease, yaw)
        current = target
    return yaw


def _frames_for(script: Script | None, frames: int | None) -> int:
    if frames is not None:
        return frames
    return max(30, max((end for _, end, _ in script or ()), default=0) + 8)


def _write(path: Path, frames: Iterable[np.ndarray]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), FPS, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise RuntimeError(f"cv2.VideoWriter could not open {path}")
    try:
        for frame in frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path


def read_frames(path: Path | str, *, rgb: bool = True) -> list[np.ndarray]:
    """All frames of a clip (or image-sequence pattern) as RGB (or BGR as read), through
    cv2.VideoCapture like the kiosk."""
    capture = cv2.VideoCapture(str(path))
    frames: list[np.ndarray] = []
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB) if rgb else frame)
    finally:
        capture.release()
    return frames


# ---------------------------------------------------------------- the camera and the room


class _Camera:
    """Per-frame exposure drift and sensor noise, the same for every kind of clip."""

    def __init__(self, rng: np.random.Generator, frames: int, noise: float = 2.5) -> None:
        self.rng = rng
        self.gain = 1 + _smooth(rng, frames, 0.04, (3.0, 10.0))  # auto-exposure hunting
        self.noise = noise

    def shoot(self, index: int, scene: np.ndarray) -> np.ndarray:
        noise = self.rng.standard_normal(scene.shape, dtype=np.float32) * self.noise
        return np.clip(scene * float(self.gain[index]) + noise, 0, 255).astype(np.uint8)


def _colour(rng: np.random.Generator, low: float, high: float) -> tuple[float, float, float]:
    r, g, b = (float(c) for c in rng.uniform(low, high, 3))
    return r, g, b


def office_background(rng: np.random.Generator) -> np.ndarray:
    """A plausible out-of-focus office wall: gradient, window, door, posters, floor, low-frequency mottle."""
    ys = np.linspace(0, 1, HEIGHT, dtype=np.float32)[:, None, None]
    xs = np.linspace(-1, 1, WIDTH, dtype=np.float32)[None, :, None]
    wall = rng.uniform([165, 160, 145], [215, 210, 195]).astype(np.float32)
    scene = wall * (1 - 0.22 * ys) * (1 - 0.12 * (xs - rng.uniform(-0.5, 0.5)) ** 2)
    scene = np.broadcast_to(scene, (HEIGHT, WIDTH, 3)).astype(np.float32)  # a writable copy
    window_left = int(rng.choice([rng.integers(20, 120), rng.integers(420, 520)]))
    cv2.rectangle(scene, (window_left, 40), (window_left + 110, 250), (232, 238, 248), -1)
    cv2.line(scene, (window_left + 55, 40), (window_left + 55, 250), (150, 150, 155), 4)
    cv2.line(scene, (window_left, 140), (window_left + 110, 140), (150, 150, 155), 4)
    door_left = int(rng.integers(150, 400))
    cv2.rectangle(scene, (door_left, 130), (door_left + 100, 400), _colour(rng, 70, 130), -1)
    for _ in range(3):  # posters, a whiteboard, a shelf
        x, y = int(rng.integers(0, WIDTH - 80)), int(rng.integers(60, 300))
        w, h = int(rng.integers(40, 120)), int(rng.integers(20, 90))
        cv2.rectangle(scene, (x, y), (x + w, y + h), _colour(rng, 60, 230), -1)
    cv2.rectangle(scene, (0, 400), (WIDTH, HEIGHT), _colour(rng, 80, 120), -1)
    # uneven light and dirt: mostly brightness, a little colour
    mottle = rng.normal(0, 5, (12, 16, 1)) + rng.normal(0, 1.5, (12, 16, 3))
    mottle = cv2.resize(mottle.astype(np.float32), (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    scene = cv2.GaussianBlur(scene + mottle, (0, 0), 3)  # focused on the person, not the wall
    return np.clip(scene, 0, 255)


# ---------------------------------------------------------------- planar objects held in front of the camera


@dataclass(frozen=True)
class _Hand:
    """Pose of a hand-held flat object per frame: slow sway plus a faster tremor."""

    yaw: np.ndarray  # degrees
    pitch: np.ndarray
    roll: np.ndarray
    dx: np.ndarray  # pixels in the frame
    dy: np.ndarray
    zoom: np.ndarray  # relative distance change

    @classmethod
    def wobble(cls, rng: np.random.Generator, frames: int, turn: np.ndarray | None = None) -> _Hand:
        """`turn`: degrees per frame; positive swings the image's right edge away from the camera,
        as the image-right half of a face does when its nose moves right."""

        def sway(amplitude: float) -> np.ndarray:
            return _smooth(rng, frames, amplitude, (1.0, 4.0)) + _smooth(
                rng, frames, amplitude / 4, (0.2, 0.5)
            )

        return cls(
            (turn if turn is not None else np.zeros(frames)) + sway(3.0),
            sway(4.0),
            sway(3.0),
            sway(8.0),
            sway(6.0),
            sway(0.03),
        )


def _homography(
    size: tuple[int, int], width_px: float, hand: _Hand, i: int, aim: tuple[float, float] | None = None
) -> np.ndarray:
    """Texture (w×h) → frame for a plane at the pose of frame i; width_px = its width seen face-on;
    `aim`: the texture point held in front of the lens (default its centre)."""
    w, h = size
    aim = aim or (w / 2, h / 2)
    distance = FOCAL * w / width_px * (1 + hand.zoom[i])
    # minus: with this rotation a positive angle would bring the right edge nearer
    yaw, pitch, roll = np.radians([-hand.yaw[i], hand.pitch[i], hand.roll[i]])
    rot_y = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    rot_x = np.array([[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]])
    rot_z = np.array([[np.cos(roll), -np.sin(roll), 0], [np.sin(roll), np.cos(roll), 0], [0, 0, 1]])
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    local = np.column_stack([corners - aim, np.zeros(4)])
    world = local @ (rot_z @ rot_x @ rot_y).T + (0, 0, distance)
    projected = FOCAL * world[:, :2] / world[:, 2:] + (WIDTH / 2 + hand.dx[i], HEIGHT / 2 + hand.dy[i])
    return cv2.getPerspectiveTransform(corners.astype(np.float32), projected.astype(np.float32))


def _composite(
    background: np.ndarray, texture: np.ndarray, alpha: np.ndarray, homography: np.ndarray
) -> np.ndarray:
    size = (WIDTH, HEIGHT)
    warped = cv2.warpPerspective(texture, homography, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(alpha, homography, size, flags=cv2.INTER_LINEAR)[..., None]
    return background * (1 - mask) + warped * mask


def _rounded_alpha(size: tuple[int, int], radius: int) -> np.ndarray:
    image = Image.new("L", size, 0)
    ImageDraw.Draw(image).rounded_rectangle((0, 0, size[0] - 1, size[1] - 1), radius=radius, fill=255)
    return np.asarray(image, dtype=np.float32) / 255


# ---------------------------------------------------------------- live person


class _YawWarp:
    """Horizontal displacement field of a head turn, from the face's 5 landmarks.

    Depth stands in for displacement: a head-shaped dome (zero at the outline, so ears, hair and the
    background stay put) plus a nose ridge in front of it; a turn shifts each point by its depth.
    """

    def __init__(self, face: Face) -> None:
        marks = face.landmarks
        eye_a, eye_b = marks[0:2].mean(axis=0), marks[2:4].mean(axis=0)
        eyes, nose = (eye_a + eye_b) / 2, marks[4]
        inter = float(np.linalg.norm(eye_a - eye_b))
        drop = float(nose[1] - eyes[1])  # eye line to nose base
        left, top, width, height = face.box
        self.head_centre = (left + width / 2, top + height * 0.42)
        self.head_radii = (width * 0.6, height * 0.8)
        self.head_shift = 0.12 * inter  # per unit yaw
        # The nose (bridge to nostrils) moves nearly as one piece: flat-topped across, centred just
        # above its base; the stretch happens over the cheeks, where a real turn hides or shows skin.
        self.nose_centre = (0.3 * eyes[0] + 0.7 * nose[0], eyes[1] + 0.9 * drop)
        self.nose_sigma = (0.7 * inter, 0.6 * drop)
        self.nose_shift = 0.3 * inter

    def region(self, margin: int) -> tuple[slice, slice]:
        """Rows and columns outside of which the field is zero (the nose lies inside the head)."""
        (cx, cy), (rx, ry) = self.head_centre, self.head_radii
        rows = slice(max(0, int(cy - ry) - margin), min(HEIGHT, int(cy + ry) + margin + 1))
        cols = slice(max(0, int(cx - rx) - margin), min(WIDTH, int(cx + rx) + margin + 1))
        return rows, cols

    def __call__(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(shift per unit yaw, its x derivative, signed side of the head) at source points x, y."""
        (hx, hy), (rx, ry) = self.head_centre, self.head_radii
        u, v = (x - hx) / rx, (y - hy) / ry
        inside = np.clip(1 - u * u - v * v, 0, None)
        dome = inside**2  # smooth to zero at the outline: no fold, no seam
        (nx, ny), (sx, sy) = self.nose_centre, self.nose_sigma
        nu, nv = (x - nx) / sx, (y - ny) / sy
        ridge = np.exp(-0.5 * (nu**4 + nv * nv))
        shift = self.head_shift * dome + self.nose_shift * ridge
        slope = self.head_shift * -4 * inside * u / rx + self.nose_shift * ridge * -2 * nu**3 / sx
        return shift, slope, np.clip(u, -1, 1) * dome

    def invert(self, x: np.ndarray, y: np.ndarray, yaw: float) -> tuple[np.ndarray, np.ndarray]:
        """Source x that the turn moves to x (x_src + yaw·shift(x_src) = x), and the side there.

        Newton's method: the field's slope stays below 1, so x_src + yaw·shift is monotonic and a
        few steps converge to well under a pixel (plain fixed-point iteration left ~8 px at the cheeks).
        """
        src = x
        for _ in range(4):
            shift, slope, side = self(src, y)
            src = src - (src + yaw * shift - x) / (1 + yaw * slope)
        return src, side


def _live_scenes(face: Face, yaw: np.ndarray, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Float RGB scenes of a person in front of the camera: sway, breathing zoom, head turns."""
    frames = len(yaw)
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    cx, cy = face.centre
    tx = _smooth(rng, frames, 1.5, (1.0, 5.0)) + rng.normal(0, 0.15, frames)  # sub-pixel tremor on top
    ty = _smooth(rng, frames, 1.0, (1.0, 5.0)) + rng.normal(0, 0.15, frames)
    scale = 1 + _smooth(rng, frames, 0.02, (2.0, 6.0))
    warp = _YawWarp(face)
    head = warp.region(margin=16)  # covers the sway (≤ ~2 px) and the ±2 % zoom about the face centre
    for i in range(frames):
        # inverse mapping: output pixel → where the swayed, scaled head was → where the turn moved it from
        px = cx + (xs - cx - float(tx[i])) / float(scale[i])  # python floats keep the maps float32
        py = cy + (ys - cy - float(ty[i])) / float(scale[i])
        # The turn moves source point x to x + yaw·shift(x): the nose moves linearly with yaw.
        map_x, side = px.copy(), np.zeros_like(px)
        if yaw[i]:
            map_x[head], side[head] = warp.invert(px[head], py[head], float(yaw[i]))  # the rest stays
        map_x = map_x.astype(np.float32)
        scene = cv2.remap(
            face.image, map_x, py.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        # the cheek turning away from the camera catches a little less light
        yield scene.astype(np.float32) * (1 - 0.06 * float(yaw[i]) * side)[..., None]


def live_clip(
    path: Path,
    identity: str,
    script: Script,
    *,
    frames: int | None = None,
    n: int = 1,
    seed: int | None = None,
) -> Path:
    """A live person following `script` (see the module docstring), with natural sway and sensor noise."""
    count = _frames_for(script, frames)
    rng = _rng(seed, "live", identity, n, tuple(script), count)
    camera = _Camera(rng, count)
    scenes = _live_scenes(live_face(identity, n), yaw_track(script, count), rng)
    return _write(path, (camera.shoot(i, s) for i, s in enumerate(scenes)))


# ---------------------------------------------------------------- presentation attacks


def _print_texture(face: Face) -> tuple[np.ndarray, np.ndarray]:
    """The live frame as a photo print: compressed range, duller colours, soft, with a white border."""
    image = face.image.astype(np.float32)
    grey = image.mean(axis=2, keepdims=True)
    image = grey + 0.8 * (image - grey)  # prints lose saturation
    image = 35 + image * (210 - 35) / 255  # paper white and ink black are not 255 and 0
    image = cv2.GaussianBlur(image, (0, 0), 1.2)
    border = 18
    paper = np.full((HEIGHT + 2 * border, WIDTH + 2 * border, 3), (238, 236, 230), np.float32)
    paper[border:-border, border:-border] = image
    return paper, np.ones(paper.shape[:2], np.float32)


def photo_attack_clip(
    path: Path,
    identity: str,
    script: Script | None = None,
    *,
    frames: int | None = None,
    n: int = 1,
    turn_degrees: float = YAW_DEGREES,
    seed: int | None = None,
) -> Path:
    """A printed photo held up to the camera, turned as a flat sheet when `script` is given.

    yaw 1 turns the sheet by `turn_degrees` the same way as the head would turn; at this close range
    perspective alone shifts the nose-to-eyes offset by up to ~0.08 inter-eye distances at 30°.
    """
    count = _frames_for(script, frames)
    rng = _rng(seed, "photo", identity, n, tuple(script or ()), count, turn_degrees)
    texture, alpha = _print_texture(live_face(identity, n))
    background = office_background(rng)
    hand = _Hand.wobble(rng, count, yaw_track(script or (), count) * turn_degrees)
    camera = _Camera(rng, count)
    size = (texture.shape[1], texture.shape[0])

    def scenes() -> Iterator[np.ndarray]:
        for i in range(count):
            yield camera.shoot(i, _composite(background, texture, alpha, _homography(size, 540, hand, i)))

    return _write(path, scenes())


def _card_texture(
    identity: str, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """A card-like rectangle: light blue-grey, a header band, text-like lines, the chip photo on the right."""
    with Image.open(FACESET / f"{identity}-card.jp2") as jp2:
        photo = jp2.convert("L").resize((180, 220), Image.Resampling.BICUBIC).convert("RGB")
    width, height = 520, 328  # ID-1 proportions (85.6 × 54 mm), made large so the photo is ~220 px
    card = Image.new("RGB", (width, height), (208, 218, 230))
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, width, 34), fill=(150, 172, 200))
    draw.rectangle((18, 8, 180, 24), fill=(245, 247, 250))  # the card's title
    photo_left, photo_top = width - 180 - 22, 60
    card.paste(photo, (photo_left, photo_top))
    draw.rectangle(
        (photo_left - 1, photo_top - 1, photo_left + 180, photo_top + 220), outline=(120, 130, 145)
    )
    y = 56
    while y < height - 30:  # lines of "words": dark bars with gaps
        x, end = 22, int(rng.integers(170, photo_left - 20))
        while x < end:
            word = int(rng.integers(12, 46))
            draw.rectangle((x, y, min(x + word, end), y + 9), fill=(55, 60, 72))
            x += word + int(rng.integers(5, 10))
        y += int(rng.integers(22, 34))
    texture = np.asarray(card, dtype=np.float32)
    texture = (
        texture * (1 - 0.08 * np.linspace(0, 1, width, dtype=np.float32))[None, :, None]
    )  # light falls off
    return texture, _rounded_alpha((width, height), 18), (photo_left + 90, photo_top + 110)


def card_photo_attack_clip(path: Path, identity: str, *, frames: int = 45, seed: int | None = None) -> Path:
    """The holder's My Number card held up with its photo (the chip's JP2) in front of the lens,
    near enough for the photo to fill a face's place in the frame."""
    rng = _rng(seed, "card", identity, frames)
    texture, alpha, photo = _card_texture(identity, rng)
    background = office_background(rng)
    hand = _Hand.wobble(rng, frames)
    camera = _Camera(rng, frames)
    size = (texture.shape[1], texture.shape[0])

    def scenes() -> Iterator[np.ndarray]:
        for i in range(frames):
            matrix = _homography(size, 800, hand, i, aim=photo)
            yield camera.shoot(i, _composite(background, texture, alpha, matrix))

    return _write(path, scenes())


def replay_clip(
    path: Path,
    source_clip: Path,
    *,
    screen_width: int = 540,
    seed: int | None = None,
) -> Path:
    """A phone replaying `source_clip` to the camera: bezel, moiré, gamma/colour shift, glare, hand wobble.

    The head movements are whatever the source recorded, so they cannot follow a new challenge.
    """
    source = read_frames(source_clip)
    if not source:
        raise ValueError(f"{source_clip}: no frames")
    count = len(source)
    rng = _rng(seed, "replay", Path(source_clip).name, count)
    screen_w, screen_h, bezel = 720, 400, 26  # a phone on its side; the 4:3 video is pillarboxed
    video_w = screen_h * WIDTH // HEIGHT
    device = (screen_w + 2 * bezel, screen_h + 2 * bezel)
    alpha = _rounded_alpha(device, 34)
    ys, xs = np.mgrid[0 : device[1], 0 : device[0]].astype(np.float32)
    rows, cols = ys[:, 0], xs[0]
    # Moiré: two fine gratings (the panel's sub-pixels and the sensor's photosites) beat into coarse bands.
    angle = rng.uniform(0.05, 0.15)
    first = 2 * np.pi * (xs * np.cos(angle) + ys * np.sin(angle)) / 2.9
    second = np.cos(2 * np.pi * (xs * np.cos(-angle) + ys * np.sin(-angle)) / 3.1)
    # cos(first + phase) · second, expanded so each frame only mixes two precomputed images
    moire_cos, moire_sin = np.cos(first) * second, np.sin(first) * second
    background = office_background(rng)
    hand = _Hand.wobble(rng, count)
    camera = _Camera(rng, count)
    glare_x = device[0] * (0.3 + _smooth(rng, count, 0.1, (2.0, 5.0)))
    glare_y = device[1] * (0.3 + _smooth(rng, count, 0.1, (2.0, 5.0)))

    def scenes() -> Iterator[np.ndarray]:
        for i, frame in enumerate(source):
            shown = cv2.resize(frame, (video_w, screen_h), interpolation=cv2.INTER_AREA).astype(np.float32)
            shown = 255 * (shown / 255) ** 1.15 * (0.92, 1.0, 1.08)  # panel gamma and a cold white point
            texture = np.full((device[1], device[0], 3), (14, 14, 16), np.float32)
            left = bezel + (screen_w - video_w) // 2
            texture[bezel : bezel + screen_h, bezel + 2 : bezel + screen_w - 2] = (4, 4, 6)  # black bars
            texture[bezel : bezel + screen_h, left : left + video_w] = shown
            phase = 0.7 * i  # the beat drifts as the phone moves against the sensor grid
            moire = moire_cos * np.cos(phase) - moire_sin * np.sin(phase)
            texture *= (1 + 0.08 * moire)[..., None]
            glare = np.outer(
                np.exp(-(((rows - glare_y[i]) / 90) ** 2)), np.exp(-(((cols - glare_x[i]) / 140) ** 2))
            )
            texture += 50 * glare[..., None]  # reflection on the glass, over bezel and picture alike
            scene = _composite(
                background, np.clip(texture, 0, 255), alpha, _homography(device, screen_width, hand, i)
            )
            yield camera.shoot(i, scene)

    return _write(path, scenes())


# ---------------------------------------------------------------- scenes the check must refuse or ask to fix


def _placed(
    image: np.ndarray, scale: float, at: tuple[float, float], centre: tuple[float, float]
) -> np.ndarray:
    """`image` scaled by `scale` with `centre` landing at `at`; replicated edges blurred into a backdrop."""
    matrix = np.array([[scale, 0, at[0] - scale * centre[0]], [0, scale, at[1] - scale * centre[1]]])
    placed = cv2.warpAffine(
        image, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    inside = cv2.warpAffine(
        np.ones(image.shape[:2], np.float32), matrix, (WIDTH, HEIGHT), flags=cv2.INTER_NEAREST
    )
    mask = cv2.GaussianBlur(1 - inside, (0, 0), 8)[..., None]
    blurred = cv2.GaussianBlur(placed, (0, 0), 12)
    return placed * (1 - mask) + blurred * mask


def scene_clip(
    path: Path,
    kind: str,
    *,
    identity: str = "obama",
    frames: int = 30,
    seed: int | None = None,
) -> Path:
    """A clip for one of SCENE_KINDS: what the face check must report instead of matching.

    no_face: the room only; two_faces: two people side by side; dark: mean brightness < 40 and low
    contrast; too_far: face FAR_FACE_PX tall; off_centre: face near the left edge; blurred: heavy defocus.
    """
    if kind not in SCENE_KINDS:
        raise ValueError(f"unknown scene {kind!r}; one of {SCENE_KINDS}")
    rng = _rng(seed, "scene", kind, identity, frames)
    camera = _Camera(rng, frames, noise=3.5 if kind == "dark" else 2.5)
    face = live_face(identity)
    still = np.zeros(frames)
    room = office_background(rng)
    if kind == "no_face":
        sway = _Hand.wobble(rng, frames)

        def room_scenes() -> Iterator[np.ndarray]:
            for i in range(frames):  # the camera shakes a little even with nobody there
                matrix = np.array([[1.0, 0, sway.dx[i] / 8], [0, 1.0, sway.dy[i] / 8]])
                yield cv2.warpAffine(room, matrix, (WIDTH, HEIGHT), borderMode=cv2.BORDER_REPLICATE)

        scenes: Iterator[np.ndarray] = room_scenes()
    elif kind == "two_faces":
        other = next(name for name in identities() if name != identity)
        other_face = live_face(other)
        left = _live_scenes(face, still, rng)
        right = _live_scenes(other_face, still, rng)

        def half(scene: np.ndarray, face: Face) -> np.ndarray:  # the half-frame around the face
            left = int(np.clip(face.centre[0] - WIDTH // 4, 0, WIDTH // 2))
            return scene[:, left : left + WIDTH // 2]

        def pair_scenes() -> Iterator[np.ndarray]:
            # Two people at the same distance, shoulder to shoulder: both faces full size.
            for a, b in zip(left, right, strict=True):
                yield np.hstack([half(a, face), half(b, other_face)])

        scenes = pair_scenes()
    elif kind == "dark":
        scenes = (s * 0.22 + 4 for s in _live_scenes(face, still, rng))  # dim room, auto-gain gave up
    elif kind == "too_far":
        scale = FAR_FACE_PX / face.box[3]
        far = cv2.resize(face.image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA).astype(
            np.float32
        )
        h, w = far.shape[:2]
        feather = cv2.GaussianBlur(np.pad(np.ones((h - 16, w - 16), np.float32), 8), (0, 0), 4)[..., None]
        top, left = (HEIGHT - h) // 2, (WIDTH - w) // 2
        backdrop = room.copy()
        window = backdrop[top : top + h, left : left + w]
        backdrop[top : top + h, left : left + w] = window * (1 - feather) + far * feather
        scenes = _live_scenes(
            Face(backdrop.clip(0, 255).astype(np.uint8), face.box, face.landmarks), still, rng
        )
    elif kind == "off_centre":
        shifted = _placed(face.image.astype(np.float32), 0.85, (110, HEIGHT / 2), face.centre)
        scenes = _live_scenes(
            Face(shifted.clip(0, 255).astype(np.uint8), face.box, face.landmarks), still, rng
        )
    else:  # blurred
        scenes = (cv2.GaussianBlur(s, (0, 0), 8) for s in _live_scenes(face, still, rng))
    return _write(path, (camera.shoot(i, s) for i, s in enumerate(scenes)))


def still_image_sequence(directory: Path, identity: str, n: int, *, seed: int | None = None) -> Path:
    """`n` jittered live frames as frame_000.png…; returns the printf pattern cv2.VideoCapture opens."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = _rng(seed, "sequence", identity, n)
    camera = _Camera(rng, n)
    for i, scene in enumerate(_live_scenes(live_face(identity), np.zeros(n), rng)):
        Image.fromarray(camera.shoot(i, scene)).save(directory / f"frame_{i:03d}.png")
    return directory / "frame_%03d.png"
