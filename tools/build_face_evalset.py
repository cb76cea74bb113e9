"""Build the labelled clip set that `kiosk face eval SET_DIR` runs the face check over.

    .venv/bin/python tools/build_face_evalset.py /tmp/evalset [--seeds 2]

Everything comes from resources/faceset (registry-shipped photos, FACE.md §3) through the clip
generators of facekit/ (MJPG .avi, 640×480, 15 fps) and is deterministic: the same command
writes the same files. About 40 clips; a few minutes on two cores.

What is in it, and why:

- **genuine**: obama-1 and obama-2 (two photos other than the card's) performing each of the
  head-turn orders the challenge can ask (8 with DEFAULT_POLICY's 3 turns), `--seeds` times
  each with different sway and noise, against obama's card. Obama is the only identity with
  genuine pairs in the faceset.
- **impostor**: every live clip against each of the other two cards (zero-effort impostors).
- **same_source**: biden-1 and astronaut-1 against their own cards. Their live frame and their card
  photo were cut from the *same* photograph (the packages ship one photo of each), so they match
  at ~0.19 — a copy of the card photo, not a second photo of the person — and the check rightly
  flags them as a presented picture. They are neither genuine nor attack trials: reported apart,
  counted in no rate.
- **attack / print**: each live photo printed and held up (photo_attack_clip), once held still
  and once turned as a flat sheet in the order asked; 150 frames so a 5 s turn timeout can expire.
- **attack / card_photo**: the holder's card held up with its photo in front of the lens
  (card_photo_attack_clip), `--seeds` per identity, 150 frames.
- **attack / replay**: four recordings of genuine obama clips, each of a different turn order,
  replayed on a phone (replay_clip), each asked every order: a replay passes only when the asked
  order is the recorded one, so the replay APCER measures that chance (1 in 2^turns).

The check draws its turns from `random.Random(challenge_seed)` (liveness.new_challenge); the
builder finds a seed for every order under DEFAULT_POLICY and labels each trial with the order
its seed draws. A live clip's script turns the nose to the image's right for Turn.RIGHT (yaw +1).

labels.json, format "kiosk-face-evalset/1" (paths relative to SET_DIR):

    {"format": "kiosk-face-evalset/1",
     "built_by": "tools/build_face_evalset.py", "fps": 15.0, "frame_size": [640, 480],
     "challenge_seeds": {"RIGHT,LEFT": 7, ...},           # order → seed used for it
     "cards": {"obama": "cards/obama-card.jp2", ...},    # copies of resources/faceset/<id>-card.jp2
     "clips": {"clips/live/obama-1_RL_1.avi":
                  {"kind": "live" | "print" | "card_photo" | "replay",
                   "identity": "obama", "photo": "obama-1.jpg",  # faceset file shown
                   "frames": 70, "seed": 123,                     # facekit's seed
                   "script": [[12, 20, 1.0], ...] | null,         # yaw script (live, turned print)
                   "source": "clips/live/…avi" | null},           # replay: the recording replayed
               ...},
     "trials": [{"id": "genuine/obama-1_RL_1/obama", "clip": "clips/live/obama-1_RL_1.avi",
                 "card": "cards/obama-card.jp2", "claimed": "obama", "live": "obama",
                 "class": "genuine" | "impostor" | "same_source" | "attack",
                 "attack": null | "print" | "card_photo" | "replay",
                 "challenge_seed": 7, "challenge": ["RIGHT", "LEFT"]},
                ...]}

`claimed` is whose card is checked, `live` whose face (or picture of a face) the camera sees.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import shutil
import sys
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import facekit  # noqa: E402
from kiosk.facecheck.evaluation import ATTACK, FORMAT, GENUINE, IMPOSTOR, SAME_SOURCE  # noqa: E402
from kiosk.facecheck.liveness import Turn, new_challenge  # noqa: E402
from kiosk.facecheck.policy import DEFAULT_POLICY, FacePolicy  # noqa: E402

Order = tuple[Turn, ...]
Step = tuple[int, int, float]

ATTACK_FRAMES = 150  # 10 s at 15 fps: past the 5 s turn timeout after a ~0.4 s match
TURN_START, TURN_FRAMES, HOLD_FRAMES = 12, 8, 6  # ease over 8 frames, hold 6, then back
# Every order the check can ask under DEFAULT_POLICY.
ORDERS: tuple[Order, ...] = tuple(
    itertools.product((Turn.RIGHT, Turn.LEFT), repeat=DEFAULT_POLICY.challenge_turns)
)


def order_name(order: Order) -> str:
    return "".join(turn.name[0] for turn in order)


def challenge_seeds(policy: FacePolicy = DEFAULT_POLICY) -> dict[Order, int]:
    """The smallest seed drawing each possible order of `policy.challenge_turns` turns."""
    wanted = set(itertools.product(tuple(Turn), repeat=policy.challenge_turns))
    found: dict[Order, int] = {}
    for seed in range(10_000):
        order = new_challenge(random.Random(seed), policy)  # noqa: S311  (the check's own draw)
        if order in wanted and order not in found:
            found[order] = seed
            if len(found) == len(wanted):
                return found
    raise RuntimeError(f"no seed found for orders {wanted - set(found)}")


def turn_script(order: Order) -> tuple[Step, ...]:
    """Each turn eased in over 8 frames, held, then back to frontal, 28 frames apart:
    (RIGHT, LEFT) → (12, 20, 1.0), (26, 34, 0.0), (40, 48, -1.0), (54, 62, 0.0)."""
    steps: list[Step] = []
    start = TURN_START
    for turn in order:
        back = start + TURN_FRAMES + HOLD_FRAMES
        steps += [(start, start + TURN_FRAMES, float(turn.value)), (back, back + TURN_FRAMES, 0.0)]
        start = back + TURN_FRAMES + HOLD_FRAMES
    return tuple(steps)


@dataclass(frozen=True)
class Clip:
    path: str  # relative to the set directory
    kind: str  # live, print, card_photo, replay
    identity: str
    n: int  # which live photo (<identity>-<n>.jpg); the card for card_photo
    seed: int
    frames: int | None  # None: as long as the script needs (facekit's default)
    script: tuple[Step, ...] | None
    source: Clip | None = None  # replay: the recording

    @property
    def photo(self) -> str:
        return f"{self.identity}-card.jp2" if self.kind == "card_photo" else f"{self.identity}-{self.n}.jpg"

    def label(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "identity": self.identity,
            "photo": self.photo,
            "frames": self.frames,
            "seed": self.seed,
            "script": None if self.script is None else [list(step) for step in self.script],
            "source": None if self.source is None else self.source.path,
        }

    def write(self, root: Path) -> Path:
        target = root / self.path
        if self.kind == "live":
            assert self.script is not None
            return facekit.live_clip(
                target, self.identity, self.script, frames=self.frames, n=self.n, seed=self.seed
            )
        if self.kind == "print":
            return facekit.photo_attack_clip(
                target, self.identity, self.script, frames=self.frames, n=self.n, seed=self.seed
            )
        if self.kind == "card_photo":
            assert self.frames is not None
            return facekit.card_photo_attack_clip(target, self.identity, frames=self.frames, seed=self.seed)
        assert self.kind == "replay" and self.source is not None
        return facekit.replay_clip(target, root / self.source.path, seed=self.seed)


def _seed(name: str) -> int:
    # A stable seed per clip name: each clip gets its own sway, noise and background.
    return zlib.crc32(name.encode())


def live(identity: str, n: int, order: Order, index: int = 1) -> Clip:
    """A person performing `order`; `index` varies sway and noise."""
    name = f"clips/live/{identity}-{n}_{order_name(order)}_{index}.avi"
    return Clip(name, "live", identity, n, _seed(name), None, turn_script(order))


def print_attack(identity: str, n: int, order: Order | None, index: int = 1) -> Clip:
    """A print of <identity>-<n>.jpg held still (order None) or turned as a sheet in `order`."""
    how = "still" if order is None else f"turned-{order_name(order)}"
    name = f"clips/print/{identity}-{n}_{how}_{index}.avi"
    script = None if order is None else turn_script(order)
    return Clip(name, "print", identity, n, _seed(name), ATTACK_FRAMES, script)


def card_attack(identity: str, index: int = 1, frames: int = ATTACK_FRAMES) -> Clip:
    """The holder's card held up with its photo in front of the lens."""
    name = f"clips/card/{identity}_{index}_{frames}.avi"
    return Clip(name, "card_photo", identity, 0, _seed(name), frames, None)


def replay(recording: Clip, index: int = 1) -> Clip:
    """`recording` (a live clip) replayed on a phone held to the camera."""
    name = f"clips/replay/{Path(recording.path).stem}_{index}.avi"
    return Clip(name, "replay", recording.identity, recording.n, _seed(name), None, None, recording)


@dataclass(frozen=True)
class TrialSpec:
    clip: Clip
    claimed: str  # whose card
    kind: str  # genuine, impostor, same_source, attack
    asked: Order  # the challenge order; its seed goes in the label
    attack: str | None = None

    @property
    def id(self) -> str:
        kind = f"{self.kind}-{self.attack}" if self.attack else self.kind
        ask = f"/ask-{order_name(self.asked)}" if self.kind == ATTACK else ""
        return f"{kind}/{Path(self.clip.path).stem}/{self.claimed}{ask}"


def _order_of(clip: Clip) -> Order:
    script = clip.script or (clip.source.script if clip.source else None) or ()
    return tuple(Turn.RIGHT if yaw > 0 else Turn.LEFT for _s, _e, yaw in script if yaw)


def genuine(clip: Clip) -> TrialSpec:
    """The person's own card, asked the order they perform."""
    return TrialSpec(clip, clip.identity, GENUINE, _order_of(clip))


def impostor(clip: Clip, card: str) -> TrialSpec:
    """Someone else's card. The person follows the turns they were scripted with (they never get
    that far: the distance decides first)."""
    return TrialSpec(clip, card, IMPOSTOR, _order_of(clip))


def same_source(clip: Clip) -> TrialSpec:
    """A live frame cut from the same photo as the card photo: see the module docstring."""
    return TrialSpec(clip, clip.identity, SAME_SOURCE, _order_of(clip))


def attack(clip: Clip, asked: Order) -> TrialSpec:
    """A presentation attack on the card of the person shown."""
    return TrialSpec(clip, clip.identity, ATTACK, asked, clip.kind)


def full_plan(seeds: int = 2) -> list[TrialSpec]:
    """The set documented in the module docstring."""
    cards = facekit.identities()
    trials: list[TrialSpec] = []
    for index in range(1, seeds + 1):
        for n, order in itertools.product((1, 2), ORDERS):
            clip = live("obama", n, order, index)
            trials.append(genuine(clip))
            trials += [impostor(clip, card) for card in cards if card != "obama"]
        for identity, order in itertools.product(("biden", "astronaut"), (ORDERS[1], ORDERS[-2])):
            clip = live(identity, 1, order, index)
            trials.append(same_source(clip))
            trials += [impostor(clip, card) for card in cards if card != identity]
    photos = [("obama", 1), ("obama", 2), ("biden", 1), ("astronaut", 1)]
    for k, (identity, n) in enumerate(photos):
        still_asked, turned = ORDERS[k % len(ORDERS)], ORDERS[(k + 1) % len(ORDERS)]
        trials.append(attack(print_attack(identity, n, None), still_asked))
        trials.append(attack(print_attack(identity, n, turned), turned))  # follows the request
    for k, (identity, index) in enumerate(itertools.product(cards, range(1, seeds + 1))):
        trials.append(attack(card_attack(identity, index), ORDERS[k % len(ORDERS)]))
    recorded = ORDERS[:: max(1, len(ORDERS) // 4)][:4]  # four recordings of different orders
    for k, order in enumerate(recorded):  # alternating the two photos
        recording = live("obama", 1 + k % 2, order)
        trials += [attack(replay(recording), asked) for asked in ORDERS]
    return trials


def _clips(trials: Iterable[TrialSpec]) -> list[Clip]:
    """Every clip the trials need, recordings before their replays, each once."""
    seen: dict[str, Clip] = {}
    for trial in trials:
        for clip in (trial.clip.source, trial.clip):
            if clip is not None:
                seen.setdefault(clip.path, clip)
    return sorted(seen.values(), key=lambda c: (c.kind == "replay", c.path))


def write_set(root: Path, trials: Sequence[TrialSpec], *, log: bool = False) -> Path:
    """Generate the clips, copy the cards and write labels.json; returns its path."""
    seeds = challenge_seeds()
    root.mkdir(parents=True, exist_ok=True)
    clips = _clips(trials)
    for i, clip in enumerate(clips, 1):
        started = time.monotonic()
        clip.write(root)
        if log:
            print(f"[{i}/{len(clips)}] {clip.path} ({time.monotonic() - started:.1f} s)", flush=True)
    cards: dict[str, str] = {}
    for identity in sorted({t.claimed for t in trials}):
        name = f"{identity}-card.jp2"
        (root / "cards").mkdir(exist_ok=True)
        shutil.copyfile(facekit.FACESET / name, root / "cards" / name)
        cards[identity] = f"cards/{name}"
    ids = [t.id for t in trials]
    if len(set(ids)) != len(ids):
        raise ValueError("two trials share an id")
    labels = {
        "format": FORMAT,
        "built_by": "tools/build_face_evalset.py",
        "fps": facekit.FPS,
        "frame_size": [facekit.WIDTH, facekit.HEIGHT],
        "challenge_seeds": {",".join(t.name for t in order): seed for order, seed in seeds.items()},
        "cards": cards,
        "clips": {clip.path: clip.label() for clip in clips},
        "trials": [
            {
                "id": t.id,
                "clip": t.clip.path,
                "card": cards[t.claimed],
                "claimed": t.claimed,
                "live": t.clip.identity,
                "class": t.kind,
                "attack": t.attack,
                "challenge_seed": seeds[t.asked],
                "challenge": [turn.name for turn in t.asked],
            }
            for t in trials
        ],
    }
    path = root / "labels.json"
    path.write_text(json.dumps(labels, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, metavar="OUT_DIR", help="where the clips and labels.json go")
    parser.add_argument(
        "--seeds", type=int, default=2, help="sway/noise variants per genuine and card trial (default 2)"
    )
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be 1 or more")
    started = time.monotonic()
    trials = full_plan(args.seeds)
    labels = write_set(args.out, trials, log=True)
    kinds = sorted({(t.kind, t.attack or "") for t in trials})
    counts = ", ".join(
        f"{k}{':' + a if a else ''} {sum(1 for t in trials if (t.kind, t.attack or '') == (k, a))}"
        for k, a in kinds
    )
    print(f"{labels}: {len(trials)} trials ({counts}) in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
