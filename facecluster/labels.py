"""Reading back what a human did to ClusteredFaces/.

Portrait files are the human's votes: a face belongs to the folder its
portrait `face_<id>.jpg` is in now, wherever it was written; a deleted
portrait takes its face out. faces.csv ties each face id to its frame and box.
"""

import os
import re
from dataclasses import dataclass, field

from .errors import UserError
from .files import read_csv_rows

PORTRAIT = re.compile(r"^face_(\d+)\.jpg$", re.IGNORECASE)
NOT_PEOPLE = ("Unclustered", "LowQuality", "Montage")
OURS_AT_TOP = {"faces.csv", "classes.txt", ".manifest.json", "index.html"}


def read_faces_csv(clustered):
    """The rows of `clustered`/faces.csv, as written by this program."""
    return read_csv_rows(os.path.join(clustered, "faces.csv"))


def row_box(row):
    """The (top, right, bottom, left) box of a faces.csv row, in the saved frame's pixels."""
    return tuple(int(row[k]) for k in ("top", "right", "bottom", "left"))


def is_person_folder(name):
    """A folder of one person: not Unclustered/LowQuality/Montage, and not ignored (a leading '_')."""
    return name not in NOT_PEOPLE and not name.startswith("_") and not name.startswith(".")


def is_named(name):
    """A folder the human has named (Face_<n> is the program's unnamed default)."""
    return is_person_folder(name) and not re.fullmatch(r"Face_\d+", name)


def _annotation_of_known(name, known):
    match = PORTRAIT.match(os.path.splitext(name)[0] + ".jpg") if name.lower().endswith(".txt") else None
    return bool(match) and int(match.group(1)) in known


@dataclass
class LabelState:
    rows: list  # faces.csv rows, by face id order
    folder_of: dict = field(default_factory=dict)  # face id -> top-level folder its portrait is in now
    strays: list = field(default_factory=list)  # files this program did not write (relative paths)
    duplicates: dict = field(default_factory=dict)  # face id -> folders holding a copy of its portrait

    def deleted(self):
        return [int(r["face_id"]) for r in self.rows if int(r["face_id"]) not in self.folder_of]


def read_labels(clustered):
    """The state of a ClusteredFaces/ folder after a human's review."""
    if not os.path.isdir(clustered):
        raise UserError(f"There is no {clustered} folder; run main.py on your footage first.")
    state = LabelState(rows=read_faces_csv(clustered))
    known = {int(r["face_id"]) for r in state.rows}
    found = {}
    for root, dirs, files in os.walk(clustered):
        dirs.sort()
        relative_root = os.path.relpath(root, clustered)
        top = relative_root.split(os.sep)[0]
        for name in sorted(files):
            relative = os.path.normpath(os.path.join(relative_root, name)).replace(os.sep, "/")
            match = PORTRAIT.match(name)
            if top == "." and name in OURS_AT_TOP or top == "Montage":
                continue
            if match and int(match.group(1)) in known and top != ".":
                found.setdefault(int(match.group(1)), []).append(top)
            elif _annotation_of_known(name, known):
                continue  # an annotation travels with its portrait, or is left behind: the portrait decides
            else:
                state.strays.append(relative)
    for face_id, folders in found.items():
        if len(set(folders)) == 1:
            state.folder_of[face_id] = folders[0]
        else:
            state.duplicates[face_id] = sorted(set(folders))
    return state
