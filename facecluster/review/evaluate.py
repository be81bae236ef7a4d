"""`main.py evaluate`: score a run's faces.csv against known identities.

Truth is either a folder laid out <person>/<image> (for image-folder input;
each face takes its image's person), or a JSON file of faces per video frame:

    {"videos": {"people.mp4": {"width": 640, "height": 360}},   # optional: source size
     "faces": [{"video": "people.mp4", "frame_index": 30, "person": "obama",
                "box": [top, right, bottom, left]}, ...]}       # box in source video pixels

Videos are matched by file name. A detection with no true face under it
counts as a person of its own, so joining anyone's cluster is an error. In a
truth folder, an image's person is the face nearest the image's centre; other
faces in it (people in the background) are of unknown identity and left out
of the pair scores.
"""

import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass

import cv2

from ..clustering.algorithms import UNCLUSTERED
from ..common.boxes import iou, scaled
from ..common.errors import UserError
from ..common.files import write_text
from ..common.workfolder import WorkFolder
from ..output.clustered import read_faces_csv, row_box
from ..sampling.frames import read_index

MATCH_IOU = 0.4
UNKNOWN = object()  # a real face whose identity the truth does not give: scored with no one


@dataclass
class PairwiseScore:
    """Over all pairs of faces: precision = share of same-cluster pairs that are one person,
    recall = share of same-person pairs that share a cluster. Unclustered faces pair with no one."""

    precision: float
    recall: float

    @property
    def f1(self):
        return _f1(self.precision, self.recall)


def _f1(precision, recall):
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _pairs(counts):
    return sum(n * (n - 1) // 2 for n in counts)


def _singletons(clusters):
    """Unclustered faces as clusters of their own."""
    return [c if c != UNCLUSTERED else ("unclustered", i) for i, c in enumerate(clusters)]


def pairwise_score(people, clusters):
    """`people` and `clusters`: one label per face, in the same order (-1 in clusters: unclustered)."""
    clusters = _singletons(clusters)
    together = _pairs(Counter(clusters).values())
    correct = _pairs(Counter(zip(people, clusters)).values())
    same_person = _pairs(Counter(people).values())
    return PairwiseScore(1.0 if together == 0 else correct / together, 1.0 if same_person == 0 else correct / same_person)


def bcubed_score(people, clusters):
    """BCubed precision and recall: per face, the share of its cluster that is its person, and of its person in its cluster."""
    clusters = _singletons(clusters)
    both, by_cluster, by_person = Counter(zip(people, clusters)), Counter(clusters), Counter(people)
    n = len(people) or 1
    precision = sum(both[(p, c)] / by_cluster[c] for p, c in zip(people, clusters)) / n
    recall = sum(both[(p, c)] / by_person[p] for p, c in zip(people, clusters)) / n
    return precision, recall


def people_from_folder(rows, truth):
    """Each face's person from a <person>/<image> truth folder: the face nearest its image's centre is that
    person, other faces in the image are UNKNOWN, and faces of images not in the folder have no truth (None).

    Images are matched by the last two parts of the path, so it works whatever folder the run was started from.
    """
    people = [None] * len(rows)
    by_image = defaultdict(list)
    for i, row in enumerate(rows):
        by_image[row["video"]].append(i)
    for image, faces in by_image.items():
        parts = image.replace("\\", "/").split("/")
        if len(parts) < 2 or not os.path.isfile(os.path.join(truth, parts[-2], parts[-1])):
            continue
        central = min(faces, key=lambda i: _off_centre(rows[i]))
        for i in faces:
            people[i] = parts[-2] if i == central else UNKNOWN
    return people, None


def _off_centre(row):
    top, right, bottom, left = row_box(row)
    return ((left + right - row["frame_width"]) / 2) ** 2 + ((top + bottom - row["frame_height"]) / 2) ** 2


def truth_problem(data):
    """What is wrong with a truth JSON's structure, or None."""
    number = (int, float)
    if not isinstance(data, dict) or not isinstance(data.get("faces"), list):
        return "it needs a 'faces' list"
    videos = data.get("videos", {})
    if not isinstance(videos, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("width"), number) and isinstance(v.get("height"), number)
            and v["width"] > 0 for v in videos.values()):
        return "'videos' must map each video to its 'width' and 'height'"
    for i, face in enumerate(data["faces"]):
        if not isinstance(face, dict):
            return f"face {i} is not an object"
        for key, kind in (("video", str), ("person", str), ("frame_index", int)):
            if not isinstance(face.get(key), kind) or isinstance(face.get(key), bool):
                return f"face {i} has no {kind.__name__} '{key}'"
        box = face.get("box")
        if not isinstance(box, list) or len(box) != 4 or not all(isinstance(v, number) for v in box):
            return f"face {i} has no 'box' of four numbers [top, right, bottom, left]"
    return None


def people_from_json(rows, truth, workdir):
    """Each face's person by overlap with the truth boxes of its frame; also (found, total) true faces."""
    try:
        with open(truth, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as error:
        raise UserError(f"{truth} is not a truth JSON file ({error}).") from None
    problem = truth_problem(data)
    if problem:
        raise UserError(f"{truth} is not a truth file as the README describes: {problem}.")
    truth_faces = data["faces"]
    by_frame = defaultdict(list)
    for face in truth_faces:
        by_frame[(os.path.basename(face["video"]), int(face["frame_index"]))].append(face)
    sampled = {(os.path.basename(r["video"]), int(r["frame_index"])): r for r in read_index(workdir)}
    sizes = {os.path.basename(k): (v["width"], v["height"]) for k, v in data.get("videos", {}).items()}
    people = [None] * len(rows)
    rows_by_frame = defaultdict(list)
    for i, row in enumerate(rows):
        rows_by_frame[(os.path.basename(row["video"]), row["frame_index"])].append(i)
    found = total = 0
    for key, frame in sampled.items():
        truths = by_frame.get(key, [])
        total += len(truths)
        if not truths:
            continue
        source_width, _ = sizes.get(key[0]) or _video_size(frame["video"])
        scale = int(frame["width"]) / source_width
        candidates = sorted(
            ((iou(scaled(t["box"], scale), row_box(rows[i])), ti, i)
             for ti, t in enumerate(truths) for i in rows_by_frame.get(key, ())), reverse=True)
        used_truth, used_row = set(), set()
        for overlap, ti, i in candidates:
            if overlap >= MATCH_IOU and ti not in used_truth and i not in used_row:
                people[i] = truths[ti]["person"]
                used_truth.add(ti)
                used_row.add(i)
        found += len(used_truth)
    return people, (found, total)


def _video_size(video):
    capture = cv2.VideoCapture(video)
    width, height = capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT)
    capture.release()
    if not width:
        raise UserError(f"Cannot read the size of {video}; give it in the truth file's 'videos' entry.")
    return width, height


def seen_once_alone(people, clusters):
    """Of the people with a single face, the share whose face joined no other known person."""
    counts = Counter(p for p in people if p is not None and p is not UNKNOWN)
    once = [i for i, p in enumerate(people) if counts.get(p) == 1 and p is not UNKNOWN]
    members = defaultdict(list)
    for i, c in enumerate(clusters):
        if c != UNCLUSTERED:
            members[c].append(i)
    alone = sum(1 for i in once if clusters[i] == UNCLUSTERED or all(
        j == i or people[j] is None or people[j] is UNKNOWN for j in members[clusters[i]]))
    return len(once), (alone / len(once) if once else 1.0)


def score(people, clusters, detections=None):
    """Every figure `evaluate` reports, as a plain dict.

    people: per face a name, None (no true face there: a person of its own), or UNKNOWN (left out of pairs).
    """
    known = [i for i, p in enumerate(people) if p is not UNKNOWN]
    labelled = [people[i] if people[i] is not None else ("not a face", i) for i in known]
    scored = [clusters[i] for i in known]
    pairwise = pairwise_score(labelled, scored)
    b_precision, b_recall = bcubed_score(labelled, scored)
    once, alone = seen_once_alone(people, clusters)
    result = {
        "faces": len(people),
        "people": len({p for p in people if p is not None and p is not UNKNOWN}),
        "clusters": len(set(clusters) - {UNCLUSTERED}),
        "unclustered_share": (sum(1 for c in clusters if c == UNCLUSTERED) / len(clusters)) if clusters else 0.0,
        "faces_without_truth": sum(1 for p in people if p is None),
        "faces_of_unknown_people": len(people) - len(known),
        "pairwise": {"precision": pairwise.precision, "recall": pairwise.recall, "f1": pairwise.f1},
        "bcubed": {"precision": b_precision, "recall": b_recall, "f1": _f1(b_precision, b_recall)},
        "people_seen_once": once,
        "seen_once_alone": alone,
    }
    if detections is not None:
        found, total = detections
        result["detection_recall"] = found / total if total else 1.0
        result["true_faces_in_sampled_frames"] = total
    return result


def evaluate_run(workdir, truth, json_path=None):
    """Print and write the scores of `workdir`'s faces.csv against `truth`; return the exit code."""
    if not os.path.exists(truth):
        raise UserError(f"{truth} does not exist.")
    rows = [r for r in read_faces_csv(WorkFolder(workdir).clustered) if not r.get("quality")]
    if os.path.isdir(truth):
        people, detections = people_from_folder(rows, truth)
    else:
        people, detections = people_from_json(rows, truth, workdir)
    result = score(people, [r["cluster"] for r in rows], detections)
    print(f"{result['faces']} faces, {result['people']} people, {result['clusters']} clusters, "
          f"{result['unclustered_share']:.1%} unclustered, {result['faces_without_truth']} without truth"
          + (f", {result['faces_of_unknown_people']} of unknown people (not scored)" if result["faces_of_unknown_people"] else ""))
    for name in ("pairwise", "bcubed"):
        s = result[name]
        print(f"{name:9s} precision {s['precision']:.3f}  recall {s['recall']:.3f}  F1 {s['f1']:.3f}")
    if result["people_seen_once"]:
        print(f"people seen once: {result['people_seen_once']}, {result['seen_once_alone']:.1%} of them alone")
    if "detection_recall" in result:
        print(f"detection recall {result['detection_recall']:.3f} of {result['true_faces_in_sampled_frames']} true faces")
    json_path = json_path or WorkFolder(workdir).evaluation
    write_text(json_path, json.dumps(result, indent=2) + "\n")
    return 0


__all__ = ["PairwiseScore", "pairwise_score", "bcubed_score", "score", "evaluate_run"]
