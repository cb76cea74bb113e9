"""`kiosk face eval`: the statistics on small tables, and the command end to end on a tiny set built
with tools/build_face_evalset.py (one genuine obama clip, the same clip against biden's card, and
obama's card held up to the camera)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from kiosk.cli import main
from kiosk.facecheck import evaluation
from kiosk.facecheck.evaluation import (
    EvalSet,
    EvalSetError,
    Rate,
    Summary,
    attack_acceptance,
    false_match,
    false_non_match,
    frontal,
    histogram,
    turn_reach,
    upper_bound_95,
)
from kiosk.facecheck.liveness import Turn
from kiosk.facecheck.policy import DEFAULT_POLICY

ROOT = Path(__file__).resolve().parents[2]


def _builder() -> ModuleType:
    # tools/ is not a package: load the script as a module (dataclasses need it in sys.modules).
    spec = importlib.util.spec_from_file_location(
        "build_face_evalset", ROOT / "tools" / "build_face_evalset.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


builder = _builder()

# ------------------------------------------------------------------------------ statistics


def test_false_match_counts_distances_at_or_below_the_threshold() -> None:
    rate = false_match([0.3, 0.5, 0.51, 0.9, None], 0.5)
    assert (rate.errors, rate.total) == (2, 5)  # 0.5 itself is accepted by the check (d ≤ t)
    assert rate.value == pytest.approx(0.4)
    assert false_match([], 0.5).value is None


def test_false_non_match_counts_distances_above_and_missing_scores() -> None:
    rate = false_non_match([0.3, 0.5, 0.51, None], 0.5)
    assert (rate.errors, rate.total) == (2, 4)  # 0.51 and the trial that never got a score
    assert false_non_match([0.2, 0.4], 0.45).errors == 0
    assert false_non_match([0.2, 0.4], 0.35).errors == 1


def test_apcer_is_per_attack_type() -> None:
    rates = attack_acceptance(
        [
            ("print", False),
            ("print", False),
            ("replay", True),
            ("replay", False),
            ("replay", False),
            ("replay", False),
            ("card_photo", False),
        ]
    )
    assert {k: (r.errors, r.total) for k, r in rates.items()} == {
        "print": (0, 2),
        "replay": (1, 4),
        "card_photo": (0, 1),
    }
    assert rates["replay"].value == pytest.approx(0.25)


def test_upper_bound_is_the_rule_of_three_for_zero_errors() -> None:
    assert upper_bound_95(0, 100) == pytest.approx(1 - 0.05 ** (1 / 100), abs=1e-9)
    assert upper_bound_95(0, 1000) == pytest.approx(3 / 1000, rel=0.01)
    assert upper_bound_95(1, 10) == pytest.approx(0.3942, abs=1e-3)  # Clopper–Pearson, one-sided
    assert upper_bound_95(10, 10) == 1.0
    assert upper_bound_95(5, 100) > 0.05
    with pytest.raises(ValueError):
        upper_bound_95(3, 2)
    assert str(Rate(0, 20)) == "0/20 = 0.0% (95 % upper 13.9%)"
    assert str(Rate(0, 0)).startswith("n/a")


def test_summary_and_histogram() -> None:
    s = Summary.of([0.1, 0.2, 0.3, 0.4, 0.5])
    assert s is not None
    assert (s.count, s.min, s.median, s.max) == (5, 0.1, 0.3, 0.5)
    assert s.p5 == pytest.approx(0.12) and s.p95 == pytest.approx(0.48)
    assert Summary.of([]) is None
    bins = histogram([0.0, 0.049, 0.05, 0.37, 0.99, 1.3])
    assert len(bins) == 20 and sum(bins) == 6
    assert bins[0] == 2 and bins[1] == 1 and bins[7] == 1 and bins[19] == 2  # 1.3 overflows into the last


def test_frontal_frames_are_those_near_the_baseline() -> None:
    offsets = [0.02, 0.01, 0.03, 0.02, 0.02, 0.09, 0.20, -0.06, 0.05]
    assert frontal(offsets, 5, 0.15) == [True] * 5 + [True, False, False, True]
    assert frontal([], 5, 0.15) == []


def test_turn_reach_is_measured_from_the_check_s_baseline() -> None:
    offsets = [0.02, 0.01, 0.03, 0.02, 0.02, 0.25, None, -0.15, 0.02]
    good = [True] * 5 + [False, False, False, True]
    reach = turn_reach(offsets, good, frames_to_fuse=5)
    assert reach[Turn.RIGHT] == pytest.approx(0.23) and reach[Turn.LEFT] == pytest.approx(0.17)
    assert turn_reach([None, None], [False, False], 5) == {}


# ------------------------------------------------------------------------------ the builder


def test_scripts_perform_the_order_their_seed_draws() -> None:
    seeds = builder.challenge_seeds()
    assert set(seeds) == set(builder.ORDERS)
    for order, seed in seeds.items():
        assert evaluation.drawn_challenge(seed, DEFAULT_POLICY) == order
    assert len(builder.ORDERS) == 2**DEFAULT_POLICY.challenge_turns
    right_left = (Turn.RIGHT, Turn.LEFT)
    assert builder.turn_script(right_left) == ((12, 20, 1.0), (26, 34, 0.0), (40, 48, -1.0), (54, 62, 0.0))


def test_the_full_plan_labels_every_class() -> None:
    trials = builder.full_plan(seeds=1)
    kinds = {(t.kind, t.attack) for t in trials}
    assert kinds == {
        ("genuine", None),
        ("impostor", None),
        ("same_source", None),
        ("attack", "print"),
        ("attack", "card_photo"),
        ("attack", "replay"),
    }
    assert all(t.clip.identity == "obama" for t in trials if t.kind == "genuine")  # the only real pairs
    assert all(t.clip.identity != t.claimed for t in trials if t.kind == "impostor")
    replays = [t for t in trials if t.attack == "replay"]
    # four recordings, each asked every order
    assert len({t.clip.path for t in replays}) == 4 and len(replays) == 4 * len(builder.ORDERS)
    assert all((t.clip.frames or 0) >= 150 for t in trials if t.attack in ("print", "card_photo"))
    assert len({t.id for t in trials}) == len(trials)


# ------------------------------------------------------------------------------ end to end


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("evalset")
    clip = builder.live("obama", 1, builder.ORDERS[1])
    card = builder.card_attack("obama", frames=30)  # too-similar decides within 5 frames
    trials = [
        builder.genuine(clip),
        builder.impostor(clip, "biden"),
        builder.attack(card, builder.ORDERS[2]),
    ]
    builder.write_set(root, trials)
    return root


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["face", "eval", *args]) == 0
    return capsys.readouterr().out


def test_the_command_reports_the_tiny_set(tiny_set: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report: dict[str, Any] = json.loads(_run([str(tiny_set), "--json", "--frame-step", "3"], capsys))
    by_class = {r["class"]: r for r in report["results"]}
    assert by_class["genuine"]["outcome"] == "matched"
    asked = [turn.name for turn in builder.ORDERS[1]]
    assert by_class["genuine"]["asked"] == asked
    assert [c["passed"] for c in by_class["genuine"]["challenge"]] == [True] * len(asked)
    assert by_class["impostor"]["outcome"] == "not_matched"
    assert by_class["attack"]["outcome"] == "attack_suspected"
    assert by_class["attack"]["reason"] == "too similar to the card photo"

    threshold = report["policy"]["match_threshold"]
    frames = report["frame_distances"]
    assert {g: frames[g]["pairs"] for g in evaluation.GROUPS if frames[g]["pairs"]} == {
        "genuine": 1,
        "impostor": 1,
        "attack:card_photo": 1,
    }
    genuine, impostor = frames["genuine"]["summary"], frames["impostor"]["summary"]
    assert genuine["max"] <= threshold < impostor["min"]
    at = report["at_threshold"]
    assert at["frame_fnmr"]["total"] == genuine["count"] == sum(frames["genuine"]["histogram"])
    assert at["frame_fmr"]["total"] == impostor["count"]
    assert 0 < at["frontal_fnmr"]["total"] <= genuine["count"]
    assert report["frontal_distances"]["genuine"]["max"] <= genuine["max"]
    assert (at["frame_fmr"]["errors"], at["frame_fnmr"]["errors"]) == (0, 0)
    assert (at["decision_fmr"]["errors"], at["decision_fmr"]["total"]) == (0, 1)
    assert (at["decision_fnmr"]["errors"], at["decision_fnmr"]["total"]) == (0, 1)
    assert report["apcer"] == {"card_photo": Rate(0, 1).to_dict()}
    assert report["bpcer"]["errors"] == report["genuine_not_matched"]["errors"] == 0
    assert report["fused_scores"]["genuine"]["median"] == pytest.approx(by_class["genuine"]["score"])
    card = frames["attack:card_photo"]["below_replay_distance"]
    assert card["errors"] == card["total"] > 0  # every card frame is closer than a living face gets
    # the sweep is monotonic: a laxer threshold never misses more genuine frames
    fnmr = [row["frame_fnmr"]["errors"] for row in report["sweep"]]
    assert fnmr == sorted(fnmr, reverse=True)
    latency = report["latency_ms"]
    assert latency["feed_all"]["count"] >= sum(r["frames_used"] for r in report["results"])
    assert latency["calls"]["card_photo"]["count"] == 3  # one card photo decoded per trial
    assert report["environment"]["cpus"] >= 1 and report["environment"]["dlib"]


def test_the_text_report_without_liveness_in_a_child_process(
    tiny_set: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # also through the kiosk's child-process matcher: the same decisions, timed from outside
    text = _run([str(tiny_set), "--no-liveness", "--frame-step", "10", "--matcher", "process"], capsys)
    assert "liveness off; process matcher" in text and "3 trials" in text
    assert "call card_photo" in text and "call encode" not in text  # encoding ran in the child
    rows = {line.split()[0]: line for line in text.splitlines() if line.startswith("     ")}
    assert rows["genuine"].endswith("matched: distance within threshold x1")  # no challenge asked
    assert rows["impostor"].endswith("not_matched: distance above threshold x1")
    assert rows["attack:card_photo"].endswith("attack_suspected: too similar to the card photo x1")
    assert "APCER card_photo  0/1 = 0.0%" in text
    for heading in ("1. Frame-level", "2. Fused", "3. FMR / FNMR", "4. Decisions", "6. Latency"):
        assert heading in text


def test_a_stale_challenge_label_is_refused(tiny_set: Path) -> None:
    evalset = EvalSet.load(tiny_set)
    genuine = next(t for t in evalset.trials if t.kind == "genuine")
    assert genuine.challenge == builder.ORDERS[1] == genuine.turns
    wrong = dataclasses.replace(genuine, challenge=builder.ORDERS[0])
    with pytest.raises(EvalSetError, match="rebuild the set"):
        evaluation.run_set(dataclasses.replace(evalset, trials=(wrong,)))


def test_a_broken_set_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "labels.json").write_text(json.dumps({"format": "something/else", "trials": []}))
    assert main(["face", "eval", str(tmp_path)]) == 2
    assert "not in the expected format" in capsys.readouterr().err
    (tmp_path / "labels.json").write_text(
        json.dumps(
            {
                "format": evaluation.FORMAT,
                "trials": [
                    {
                        "id": "x",
                        "clip": "nowhere.avi",
                        "card": "cards/none.jp2",
                        "claimed": "a",
                        "live": "a",
                        "class": "genuine",
                        "attack": None,
                        "challenge_seed": 0,
                    }
                ],
            }
        )
    )
    with pytest.raises(EvalSetError, match="missing file"):
        EvalSet.load(tmp_path)
    assert main(["face", "eval", str(tmp_path / "absent")]) == 2
