"""Render the demo Footage.mp4 from public-domain portraits that ship inside PyPI wheels.

Grace Hopper (US Navy photo, matplotlib's sample_data/grace_hopper.jpg) and
Eileen Collins (NASA photo, scikit-image's data/astronaut.png) walk across a
background, alone and together, several times each.

    make footage        # installs matplotlib and scikit-image, then runs this
"""

import importlib.util
import json
import os
import sys

import cv2

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tools.scenes import Appearance, make_sprite, render_video, truth_json  # noqa: E402


def package_file(package, *parts):
    """A data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None:
        raise SystemExit(f"{package} is not installed; run `make footage`.")
    return os.path.join(spec.submodule_search_locations[0], *parts)


def appearances():
    hopper = cv2.imread(package_file("matplotlib", "mpl-data", "sample_data", "grace_hopper.jpg"))
    collins = cv2.imread(package_file("skimage", "data", "astronaut.png"))
    grace = make_sprite("grace_hopper", hopper, face_width=150)
    eileen = make_sprite("eileen_collins", collins, face_width=140)
    small_grace = make_sprite("grace_hopper", hopper, face_width=100)
    return [
        Appearance(grace, 0.0, 6.0, (-60, 200), (700, 160)),
        Appearance(eileen, 4.0, 11.0, (1100, 120), (300, 200)),
        Appearance(small_grace, 8.0, 14.0, (100, 380), (500, 300)),
        Appearance(eileen, 15.0, 20.0, (200, 150), (800, 250)),
        Appearance(grace, 16.0, 22.0, (1000, 300), (600, 100)),
        Appearance(small_grace, 22.0, 25.0, (400, 250), (450, 260)),
    ]


def main(out="Footage.mp4"):
    """Write the video and, beside it, who is where in every frame (for `main.py evaluate --truth`)."""
    shown = appearances()
    count = render_video(out, shown, duration=25.0, size=(1280, 720))
    truth = os.path.splitext(out)[0] + ".truth.json"
    with open(truth, "w") as f:
        json.dump(truth_json(os.path.basename(out), shown, count, (1280, 720)), f)
    print(f"Wrote {out} ({count} frames, 1280x720) and {truth}.")


if __name__ == "__main__":
    main(*sys.argv[1:])
