"""Which frames go into the dataset, and each face's class, from the folders a person reviewed."""

from collections import defaultdict
from dataclasses import dataclass, field

from ..output.clustered import is_named, is_person_folder

UNKNOWN = "unknown_face"


def class_of(folder, include_unnamed):
    """The class name a face in `folder` takes, or None when it has no class."""
    if folder is None:
        return None
    if is_named(folder):
        return folder
    if include_unnamed:
        return folder if is_person_folder(folder) else UNKNOWN
    return None


@dataclass
class Selection:
    """frames: index.csv rows chosen, in index order; faces: frame path -> [(faces.csv row, class name)]."""

    frames: list
    faces: dict
    negatives: list  # frames with no face that are kept
    without_faces: int  # frames with no face in all
    dropped: int = 0  # frames left out because a face in them has no class
    only_with_unnamed: int = 0  # frames in only because of --include-unnamed
    counts: dict = field(default_factory=dict)  # class name -> faces


def select(state, index, include_unnamed=False, negatives=0.1):
    """Choose the frames and classes of a dataset from a clustered.LabelState and the Frames/index.csv rows."""
    faces = defaultdict(list)
    for row in state.rows:
        face_id = row["face_id"]
        folder = state.folder_of.get(face_id)
        if face_id in state.duplicates or folder is None:
            continue  # a portrait in two folders is not a vote; a deleted portrait takes its face out
        faces[row["frame_path"]].append((row, class_of(folder, include_unnamed)))

    with_faces, dropped, only_with_unnamed = [], 0, 0
    for frame in index:
        found = faces.get(frame["frame_path"], [])
        if not found:
            continue
        if any(name is None for _, name in found):
            dropped += 1  # an unlabeled face would be taught as background
            continue
        with_faces.append(frame)
        if include_unnamed and any(class_of(state.folder_of[row["face_id"]], False) is None for row, _ in found):
            only_with_unnamed += 1
    empty = [f for f in index if f["frame_path"] not in faces]
    keep = min(len(empty), int(negatives * len(with_faces) / max(1e-9, 1 - negatives))) if negatives > 0 else 0
    chosen_negatives = [empty[round(i * len(empty) / keep)] for i in range(keep)] if keep else []
    position = {f["frame_path"]: i for i, f in enumerate(index)}
    frames = sorted(with_faces + chosen_negatives, key=lambda f: position[f["frame_path"]])
    counts = defaultdict(int)
    for frame in with_faces:
        for _, name in faces[frame["frame_path"]]:
            counts[name] += 1
    return Selection(frames, dict(faces), chosen_negatives, len(empty), dropped, only_with_unnamed, dict(counts))
