"""How good the review suggestions are, on lfw_dev (300 people, 200 seen once), through main.py.

    .venv/bin/python bench/review_quality.py [WORK_FOLDER] [--merge D] [--doubtful D]

Merges: the photos are clustered at a low eps (main.py cluster --eps 0.9), which splits people into
several folders; a true merge is a pair of folders whose faces are mostly the same person. Prints how
many of the true merges are among the suggestions (recall) and how many suggestions are true (precision),
at the encoder's merge distance and around it.
Doubtful faces: the photos are clustered with the defaults, then 50 portraits are moved into another
person's folder, as a wrong click would; prints how many of the moved faces are suggested as doubtful,
and how many suggested faces really are someone else's.
The review app's queue: a scripted reviewer answers the app's "same person?" questions from the truth,
over HTTP as the page does, on lfw_dev split at eps 0.9 and on the ten-people fixture video split at eps
0.7; prints the answers given against the merges needed, whether a question came back after a "no", how
many folders each person ends in, and whether undoing the whole session restores the folders byte for byte.
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
from facecluster.output.clustered import is_person_folder, read_labels  # noqa: E402
from facecluster.review.suggest import folder_encodings, suggest  # noqa: E402
from tools.review_client import call, folder_digest, review_app, token_of  # noqa: E402


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


def scripted_review(workdir, person, name):
    """Answer the app's queue from the truth (`person`: face id -> true person) until it is empty; print the figures."""
    clustered = workdir / "ClusteredFaces"
    state = read_labels(clustered)
    majority = lambda ids: Counter(person.get(i) for i in ids).most_common(1)[0][0]  # noqa: E731
    members = Counter()
    for face_id, folder in state.folder_of.items():
        if is_person_folder(folder):
            members[folder] += 1
    folders_of = Counter(majority([i for i, f in state.folder_of.items() if f == folder]) for folder in members)
    needed = sum(n - 1 for p, n in folders_of.items() if p is not None)
    before = folder_digest(clustered)
    answers, said_no, repeats, merged_at = Counter(), set(), 0, []
    with review_app(workdir) as url:
        token = token_of(url)
        while True:
            question = call(url, "/api/question")[1]["question"]
            if question is None:
                break
            key = tuple(question["key"])
            repeats += key in said_no
            side_b = call(url, f"/api/folder/{question['b']['id']}")[1]["faces"]
            if question["kind"] == "pair":
                side_a = call(url, f"/api/folder/{question['a']['id']}")[1]["faces"]
                same = majority([f["id"] for f in side_a]) == majority([f["id"] for f in side_b]) is not None
            else:
                same = person.get(question["face"]) == majority([f["id"] for f in side_b]) is not None
            status, reply = call(url, "/api/answer", {"key": question["key"], "answer": "yes" if same else "no"}, token)
            assert status == 200, reply
            answers["yes" if same else "no"] += 1
            if same and question["kind"] == "pair":
                merged_at.append(sum(answers.values()))
            if not same:
                said_no.add(key)
        reviewed = read_labels(clustered)
        per_person = Counter()
        for folder in {f for f in reviewed.folder_of.values() if is_person_folder(f)}:
            per_person[majority([i for i, f in reviewed.folder_of.items() if f == folder])] += 1
        undone = 0
        while call(url, "/api/undo", {}, token)[0] == 200:
            undone += 1
    after = folder_digest(clustered)
    after.pop(".review-history.json", None)
    split = sum(1 for p, n in per_person.items() if p is not None and n > 1)
    print(f"{name}: {len(members)} folders, {needed} merges needed; the queue asked {sum(answers.values())} questions "
          f"({answers['yes']} yes, {answers['no']} no; {len(merged_at)} merges, the other yes answers moved "
          f"unclustered faces in); after it {split} people are still in more than one folder; the last merge came at answer "
          f"{merged_at[-1] if merged_at else 0} (target: within {needed * 1.3:.1f}); {repeats} questions asked again "
          f"after a no; {undone} actions undone, folders restored byte for byte: {after == before}")
    return merged_at, needed


def queue(workdir):
    main_py("cluster", "--eps", "0.9", "--force", cwd=workdir)
    scripted_review(workdir, people_of(workdir), "lfw_dev at eps 0.9")


def queue_on_footage(workdir):
    """The ten-people fixture video (as the tests render it), split at eps 0.7."""
    sys.path.insert(0, str(ROOT / "tests"))
    import cv2
    from conftest import PEOPLE, SEGMENT_SECONDS, SEGMENTS, people_appearances, truth_person
    from tools.scenes import NTSC_FPS, make_sprite, render_video

    sprites = {person: [make_sprite(person, cv2.imread(str(photo)), face_width=80 + 8 * ((n + i) % 4))
                        for i, photo in enumerate(sorted((LFW.parent / "faces" / person).glob("*.jpg")))]
               for n, person in enumerate(PEOPLE)}
    appearances = people_appearances(sprites)
    workdir.mkdir(parents=True, exist_ok=True)
    video = workdir / "people.mp4"
    if not video.exists():
        render_video(str(video), appearances, duration=len(SEGMENTS) * SEGMENT_SECONDS, fps=NTSC_FPS)
    main_py(video, "--eps", "0.7", "--fresh", "--force", cwd=workdir)
    state = read_labels(workdir / "ClusteredFaces")
    person = {r["face_id"]: truth_person(appearances, r["frame_index"], (r["top"], r["right"], r["bottom"], r["left"]))
              for r in state.rows}
    scripted_review(workdir, person, "ten-people video at eps 0.7")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    workdir = Path(args[0]) if args else Path("/tmp/review_quality")
    workdir.mkdir(parents=True, exist_ok=True)
    if not (workdir / "encodings.pickle").exists():
        main_py(LFW, cwd=workdir)
    merges(workdir, [0.95, 1.0, 1.05, 1.1, 1.15])
    doubtful(workdir, [1.0, 1.05, 1.1, 1.15, 1.2])
    queue(workdir)
    queue_on_footage(workdir.parent / (workdir.name + "_footage"))


if __name__ == "__main__":
    main()
