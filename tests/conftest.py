"""Shared test set-up: real fixture faces, videos rendered from them, one pipeline run per session."""

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data"  # real photos and a clip, with their sources in SOURCES.md
sys.path.insert(0, str(ROOT))

from tools.scenes import NTSC_FPS, Appearance, make_sprite, render_video  # noqa: E402

PEOPLE = sorted(p.name for p in (FIXTURES / "faces").iterdir()) if (FIXTURES / "faces").is_dir() else []

# Who is on screen in each 3.5-second segment of the people video: everyone
# appears at least twice (from different photos), some in pairs.
SEGMENTS = [
    ("obama",), ("john_salley",), ("obama", "john_savage"), ("rose_leslie",), ("john_schneider", "john_salley"),
    ("kit_harington",), ("john_shimkus", "biden"), ("john_savage",), ("alex_lacamoire", "john_simm"),
    ("rose_leslie", "john_schneider"), ("kit_harington", "john_shimkus"), ("biden",), ("alex_lacamoire",),
    ("john_simm", "obama"),
]
SEGMENT_SECONDS = 3.5


def run_main(args, cwd, timeout=900):
    """Run main.py as a user would; return the CompletedProcess (text output)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *map(str, args), "--no-progress"],
        cwd=cwd, capture_output=True, text=True, timeout=timeout,
    )


def require_unshare():
    """Fail (never skip) with one sentence where the machine cannot give a test its own private mounts."""
    works = shutil.which("unshare") and subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0
    assert works, "this test needs 'unshare -rm' (Debian's util-linux, with user namespaces allowed) for a private mount"


def finished_run(tmp_path_factory, name, *args):
    """A fresh work folder in which main.py has run on `args` and succeeded."""
    workdir = tmp_path_factory.mktemp(name)
    result = run_main(list(args), cwd=workdir)
    assert result.returncode == 0, result.stderr
    return workdir


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def fixtures():
    assert (FIXTURES / "faces").is_dir(), f"the test data is missing from {FIXTURES} (it is part of the repository)"
    return FIXTURES


@pytest.fixture(scope="session")
def sprites(fixtures):
    """person -> one sprite per photo, faces 80-104 px wide."""
    found = {}
    for n, person in enumerate(PEOPLE):
        photos = sorted((fixtures / "faces" / person).glob("*.jpg"))
        found[person] = [
            make_sprite(person, cv2.imread(str(photo)), face_width=80 + 8 * ((n + i) % 4))
            for i, photo in enumerate(photos)
        ]
    return found


def people_appearances(sprites):
    appearances, shown = [], {}
    for index, people in enumerate(SEGMENTS):
        start = index * SEGMENT_SECONDS
        for slot, person in enumerate(people):
            photo = shown.get(person, 0)
            shown[person] = photo + 1
            sprite = sprites[person][(photo * 3) % len(sprites[person])]
            h, w = sprite.image.shape[:2]
            if len(people) == 1:
                x0, x1 = 60 + (index * 37) % 200, 320 - w // 2 + (index * 53) % 200
            else:  # two at once: left and right halves, never overlapping
                x0 = 10 if slot == 0 else 330
                x1 = x0 + max(0, 300 - w - 20)
            y = 20 + (index * 29) % max(1, 360 - h - 40)
            appearances.append(Appearance(sprite, start, start + SEGMENT_SECONDS, (x0, y), (x1, y)))
    return appearances


@pytest.fixture(scope="session")
def people_video(tmp_path_factory, sprites):
    """A 49 s, 640x360, 29.97 fps video of all ten fixture people; returns (path, appearances)."""
    path = tmp_path_factory.mktemp("video") / "people.mp4"
    appearances = people_appearances(sprites)
    render_video(str(path), appearances, duration=len(SEGMENTS) * SEGMENT_SECONDS, fps=NTSC_FPS)
    return path, appearances


@pytest.fixture(scope="session")
def people_run(tmp_path_factory, people_video):
    """main.py run once, uninterrupted, on the people video; returns (workdir, CompletedProcess)."""
    workdir = tmp_path_factory.mktemp("people_run")
    result = run_main([people_video[0], "--workers", "2"], cwd=workdir)
    assert result.returncode == 0, result.stderr
    return workdir, result  # the output is checked too, so this one keeps its CompletedProcess


def truth_person(appearances, frame_index, box, fps=NTSC_FPS):
    """Which person's face a detected box is, by overlap with where the video put each face."""
    t = frame_index / fps
    best, best_iou = None, 0.3
    for appearance in appearances:
        face = appearance.face_at(t)
        if face is not None and iou(face, box) > best_iou:
            best, best_iou = appearance.sprite.person, iou(face, box)
    return best


def iou(a, b):
    top, right = max(a[0], b[0]), min(a[1], b[1])
    bottom, left = min(a[2], b[2]), max(a[3], b[3])
    inter = max(0, right - left) * max(0, bottom - top)
    area = lambda r: (r[1] - r[3]) * (r[2] - r[0])  # noqa: E731
    return inter / (area(a) + area(b) - inter)
