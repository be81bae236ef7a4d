"""Cluster quality on labeled data built from tests/data, for both face engines and every --algorithm.

    .venv/bin/python bench/cluster_quality.py [OUT_FOLDER]

Builds (1) a 60 s video of all ten fixture people, faces 50-150 px wide, one
to three people at once, each seen several times, (2) a degraded image-folder
set (grayscale, downscaled, blurred and JPEG-compressed copies of every photo),
(3) lfw_dev, 300 people of whom 200 are seen once, (4) the fixture group
photos, and (5) the shipped Footage.mp4, which nothing was tuned on. Encodes
each once per engine with main.py, clusters it again with each algorithm and
a few values of --eps (`main.py cluster`) and scores it (`main.py evaluate`).
"""

import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data"
sys.path.insert(0, str(ROOT))
from tools.scenes import Appearance, make_sprite, render_video, truth_json  # noqa: E402

ENGINES = {
    "yunet+sface": [],  # the default
    "hog+dlib": ["--detector", "hog", "--encoder", "dlib"],  # the design card's
}
# Around each encoder's default eps (sface 1.0, dlib 0.45), for the default algorithm.
EPS_SWEEP = {"yunet+sface": ["0.95", "1.0", "1.02", "1.03", "1.05"], "hog+dlib": ["0.4", "0.45", "0.5"]}
RUNS = [("chinese-whispers", []), ("dbscan", []), ("agglomerative", [])]
PEOPLE_RUNS = [("kmeans", ["--people", "10"]), ("gmm", ["--people", "10", "--pca", "32"])]


def runs_for(engine, extra=()):
    sweep = [(f"chinese-whispers {eps}", ["--eps", eps]) for eps in EPS_SWEEP[engine]]
    return RUNS + list(extra) + sweep


def main_py(*args, cwd):
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args), "--no-progress"],
                            cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"main.py {' '.join(map(str, args))} failed: {result.stderr.strip()}")
    return result.stdout


def ten_people_video(folder):
    """60 s, 640x360: 20 segments of 3 s with one to three of the ten people; returns (video, truth JSON)."""
    rng = random.Random(7)
    people = sorted(p.name for p in (FIXTURES / "faces").iterdir())
    photos = {p: sorted((FIXTURES / "faces" / p).glob("*.jpg")) for p in people}
    appearances, order = [], people * 6
    rng.shuffle(order)
    for segment in range(20):
        start = segment * 3.0
        group = []
        while len(group) < rng.choice([1, 2, 2, 3]) and order:
            person = order.pop()
            if person not in group:
                group.append(person)
        slot_width = 640 // len(group)
        for slot, person in enumerate(group):
            width = rng.randint(50, min(150, int(slot_width / 2.2)))
            sprite = make_sprite(person, cv2.imread(str(rng.choice(photos[person]))), face_width=width)
            h, w = sprite.image.shape[:2]
            x = slot * slot_width + rng.randint(0, max(0, slot_width - w - 30))
            y = rng.randint(0, max(0, 360 - h))
            appearances.append(Appearance(sprite, start, start + 3.0, (x, y), (x + rng.randint(0, 30), y)))
    video = folder / "ten_people.mp4"
    count = render_video(str(video), appearances, duration=60.0)
    truth = folder / "ten_people.truth.json"
    truth.write_text(json.dumps(truth_json(video.name, appearances, count, (640, 360))))
    return video, truth


def degraded_photos(folder):
    """<person>/<image> copies of every fixture photo: grayscale, half size, a third, blurred, JPEG quality 15."""
    out = folder / "degraded"
    for photo in sorted((FIXTURES / "faces").glob("*/*.jpg")):
        image = cv2.imread(str(photo))
        person = out / photo.parent.name
        person.mkdir(parents=True, exist_ok=True)
        gray = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        copies = {
            "gray": gray,
            "half": cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA),
            "third": cv2.resize(image, None, fx=0.34, fy=0.34, interpolation=cv2.INTER_AREA),
            "blur": cv2.GaussianBlur(image, (0, 0), max(1.0, image.shape[1] / 300)),
        }
        for name, copy in copies.items():
            cv2.imwrite(str(person / f"{photo.stem}_{name}.jpg"), copy)
        cv2.imwrite(str(person / f"{photo.stem}_jpeg15.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 15])
    return out


def score_runs(engine, workdir, truth, runs):
    for label, flags in runs:
        main_py("cluster", "--algorithm", label.split()[0], *flags, "--force", cwd=workdir)
        main_py("evaluate", "--truth", truth, cwd=workdir)
        s = json.loads((workdir / "evaluation.json").read_text())
        extra = f"  detection recall {s['detection_recall']:.3f}" if "detection_recall" in s else ""
        if s["people_seen_once"]:
            extra += f"  seen once alone {s['seen_once_alone']:.3f}"
        print(f"{engine:12s} {label:22s} {s['pairwise']['precision']:7.3f} {s['pairwise']['recall']:7.3f} "
              f"{s['pairwise']['f1']:7.3f} {s['bcubed']['f1']:7.3f} {s['clusters']:8d} {s['people']:6d} "
              f"{s['unclustered_share']:7.1%}{extra}", flush=True)


def scored_set(folder, name, title, source, truth, extra_runs=()):
    """Encode `source` once per engine in folder/<name>-<engine>, then score every run."""
    print(f"\n{title}")
    print(f"{'engine':12s} {'algorithm':22s} {'pair P':>7s} {'pair R':>7s} {'pair F1':>7s} {'B3 F1':>7s} "
          f"{'clusters':>8s} {'people':>6s} {'unclust':>7s}", flush=True)
    for engine, flags in ENGINES.items():
        workdir = folder / f"{name}-{engine}"
        workdir.mkdir(exist_ok=True)
        main_py(source, *flags, cwd=workdir)
        score_runs(engine, workdir, truth, runs_for(engine, extra_runs))


def group_photos(folder):
    import csv
    from collections import Counter

    print("\ngroup photos: faces found, and faces of one photo sharing a cluster (must be 0)")
    for engine, engine_flags in ENGINES.items():
        workdir = folder / f"group-{engine}"
        workdir.mkdir(exist_ok=True)
        main_py(FIXTURES / "group", *engine_flags, cwd=workdir)
        for label, flags in runs_for(engine):
            main_py("cluster", "--algorithm", label.split()[0], *flags, "--force", cwd=workdir)
            with open(workdir / "ClusteredFaces" / "faces.csv") as f:
                rows = list(csv.DictReader(f))
            found = Counter(r["video"].split("/")[-1] for r in rows)
            shared = sum(n - 1 for (_, c), n in Counter((r["video"], r["cluster"]) for r in rows if r["cluster"] != "-1").items())
            print(f"{engine:12s} {label:22s} {shared}   faces: " + ", ".join(f"{k} {v}" for k, v in sorted(found.items())))


def main(out=None):
    folder = Path(out or tempfile.mkdtemp(prefix="cluster_quality_"))
    folder.mkdir(parents=True, exist_ok=True)
    video, truth = ten_people_video(folder)
    scored_set(folder, "video", "ten people, 60 s video, faces 50-150 px, 1-3 at once", video, truth, PEOPLE_RUNS)
    degraded = degraded_photos(folder)
    scored_set(folder, "photos", "degraded photos (5 copies of each of the 68)", degraded, degraded)
    lfw = FIXTURES / "lfw_dev"
    scored_set(folder, "lfw", "lfw_dev: 300 people, 200 of them seen once (the population the defaults are tuned on)", lfw, lfw)
    scored_set(folder, "footage", "Footage.mp4 (two people; nothing tuned on it)", ROOT / "Footage.mp4", ROOT / "Footage.truth.json")
    group_photos(folder)
    print(f"\nwork folders in {folder}")


if __name__ == "__main__":
    main(*sys.argv[1:])
