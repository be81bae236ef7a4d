"""How good the review suggestions are, on lfw_dev (300 people, 200 seen once), through main.py.

    .venv/bin/python bench/review_quality.py [WORK_FOLDER] [--merge D] [--doubtful D]

Merges: the photos are clustered at a low eps (main.py cluster --eps 0.9), which splits people into
several folders; a true merge is a pair of folders whose faces are mostly the same person. Prints how
many of the true merges are among the suggestions (recall) and how many suggestions are true (precision),
at the encoder's merge distance and around it.
Doubtful faces: the photos are clustered with the defaults, then 50 portraits are moved into another
person's folder, as a wrong click would; prints how many of the moved faces are suggested as doubtful,
and how many suggested faces really are someone else's.
"""

import random
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LFW = ROOT / "tests" / "data" / "lfw_dev"
sys.path.insert(0, str(ROOT))
from facecluster.output.clustered import read_labels  # noqa: E402
from facecluster.review.suggest import folder_encodings, suggest  # noqa: E402


def main_py(*args, cwd):
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args), "--no-progress"],
                            cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"main.py {' '.join(map(str, args))} failed: {result.stderr.strip()}")


def people_of(workdir):
    """{face id: person} from the photo's folder (the face nearest the centre of a photo is its person)."""
    from facecluster.review.evaluate import UNKNOWN, people_from_folder

    state = read_labels(workdir / "ClusteredFaces")
    people, _ = people_from_folder(state.rows, LFW)
    return {int(r["face_id"]): p for r, p in zip(state.rows, people) if p is not None and p is not UNKNOWN}


def merges(workdir, thresholds):
    main_py("cluster", "--eps", "0.9", "--force", cwd=workdir)
    person = people_of(workdir)
    folders, encoder = folder_encodings(workdir)
    majority = {name: Counter(person.get(i) for i in ids).most_common(1)[0][0] for name, (ids, _) in folders.items()}
    true = {frozenset((a, b)) for a in folders for b in folders if a < b and majority[a] == majority[b] is not None}
    print(f"merges: {len(folders)} folders at eps 0.9, {len(true)} true merges (folders of one person)")
    for threshold in thresholds:
        found, _ = suggest(folders, encoder, merges_within=threshold)
        right = sum(1 for m in found if frozenset((m.first, m.second)) in true)
        print(f"  merge distance {threshold:.2f}: {len(found)} suggested, {right} true; "
              f"recall {right / max(1, len(true)):.3f}, precision {right / max(1, len(found)):.3f}")


def doubtful(workdir, thresholds, moved=50, seed=0):
    main_py("cluster", "--force", cwd=workdir)
    clustered = workdir / "ClusteredFaces"
    person = people_of(workdir)
    state = read_labels(clustered)
    folders = sorted({f for f in state.folder_of.values() if f.startswith("Face_")})
    rng = random.Random(seed)
    candidates = [i for i, f in sorted(state.folder_of.items()) if f.startswith("Face_") and i in person]
    wrong = set()
    for face_id in rng.sample(candidates, moved):
        source = state.folder_of[face_id]
        target = rng.choice([f for f in folders if f != source])
        shutil.move(str(clustered / source / f"face_{face_id}.jpg"), str(clustered / target / f"face_{face_id}.jpg"))
        wrong.add(face_id)
    found_folders, encoder = folder_encodings(workdir)
    print(f"doubtful: {moved} portraits moved into another person's folder")
    for threshold in thresholds:
        _, found = suggest(found_folders, encoder, doubtful_beyond=threshold)
        right = sum(1 for d in found if d.face_id in wrong)
        print(f"  doubtful distance {threshold:.2f}: {len(found)} suggested, {right} of them moved; "
              f"recall {right / moved:.3f}, precision {right / max(1, len(found)):.3f}")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    workdir = Path(args[0]) if args else Path("/tmp/review_quality")
    workdir.mkdir(parents=True, exist_ok=True)
    if not (workdir / "encodings.pickle").exists():
        main_py(LFW, cwd=workdir)
    merges(workdir, [0.95, 1.0, 1.05, 1.1, 1.15])
    doubtful(workdir, [1.0, 1.05, 1.1, 1.15, 1.2])


if __name__ == "__main__":
    main()
