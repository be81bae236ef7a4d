"""ClusteredFaces/: its layout, written and read back, in one place.

    Face_<n>/face_<id>.jpg + .txt   a portrait of person n and its YOLO annotation (a person renames Face_<n>)
    Unclustered/, LowQuality/       faces that joined no one / were kept out of clustering
    Montage/Face_<n>.jpg            up to 25 of person n's faces
    _not_a_face/, _not_wanted/      the review app's buckets (any _folder is ignored as a person)
    faces.csv                       one row per face; <id> is its face_id
    classes.txt, index.html         the annotations' class; the review page (review/page.py)
    .manifest.json                  what this program wrote, by content (manifest.py)

Portrait files are the person's votes: a face belongs to the folder its
portrait is in now, wherever it was written; a deleted portrait takes its
face out. A fresh result is written in a staging folder and swapped in; new
footage is added to a folder a person has edited, through the same writer.
"""

import contextlib
import glob
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field

import numpy as np

from ..clustering.algorithms import UNCLUSTERED
from ..common import manifest
from ..common.errors import UserError
from ..common.files import csv_text, read_csv_rows, write_text

UNCLUSTERED_FOLDER = "Unclustered"
LOW_QUALITY_FOLDER = "LowQuality"
MONTAGE_FOLDER = "Montage"
NOT_PEOPLE = (UNCLUSTERED_FOLDER, LOW_QUALITY_FOLDER, MONTAGE_FOLDER)
NOT_A_FACE_FOLDER = "_not_a_face"  # the review app's bucket of false detections
FACES_CSV = "faces.csv"
CLASSES = "classes.txt"
REVIEW_PAGE = "index.html"
MANIFEST = ".manifest.json"
REVIEW_HISTORY = ".review-history.json"  # the review app's undo and redo (reviewapp/history.py)
OURS_AT_TOP = {FACES_CSV, CLASSES, MANIFEST, REVIEW_PAGE, REVIEW_HISTORY}
REWRITTEN = (MANIFEST, REVIEW_PAGE)
ADDING, JOURNAL = ".adding", ".journal"  # new faces for an edited folder are staged in <folder>.adding/  # rewritten by every command, so never a sign of a person's edit
FACE_FILE = re.compile(r"^face_(\d+)\.(jpg|txt)$", re.IGNORECASE)  # a portrait or its annotation
FACES_COLUMNS = [
    "face_id", "cluster", "video", "frame_index", "timestamp", "frame_path", "frame_width", "frame_height",
    "top", "right", "bottom", "left", "portrait_path", "track", "quality",
]


# Names
def person_folder(cluster):
    return f"Face_{cluster}"


def folder_of(cluster, rejected=""):
    """The folder a face is written to: Face_<cluster>, Unclustered, or LowQuality."""
    if rejected:
        return LOW_QUALITY_FOLDER
    return UNCLUSTERED_FOLDER if cluster == UNCLUSTERED else person_folder(cluster)


def portrait_path(folder, face_id):
    return f"{folder}/face_{face_id}.jpg"


def montage_path(cluster):
    return f"{MONTAGE_FOLDER}/{person_folder(cluster)}.jpg"


def cover_path(cluster):
    """The one face that stands for person n on the review page's overview."""
    return f"{MONTAGE_FOLDER}/{person_folder(cluster)}.face.jpg"


def clearest(table, ids):
    """Of the faces `ids`, the one to show a person by: the detector's surest, then the sharpest."""
    return max(ids, key=lambda i: (round(float(table.scores[i]), 2), float(table.sharpness[i])))


def is_person_folder(name):
    """A folder of one person: not Unclustered/LowQuality/Montage, and not ignored (a leading '_' or '.')."""
    return name not in NOT_PEOPLE and not name.startswith("_") and not name.startswith(".")


def gathers_new_faces(name):
    """A folder that new footage's faces of the same person join: a person's, or an ignored one ('_crew',
    _not_wanted: that person stays ignored); not Unclustered, LowQuality, Montage or _not_a_face."""
    return name not in NOT_PEOPLE and name != NOT_A_FACE_FOLDER and not name.startswith(".")


def is_named(name):
    """A folder the person has named (Face_<n> is the program's unnamed default)."""
    return is_person_folder(name) and not re.fullmatch(r"Face_\d+", name)


def numbered_folders(clustered):
    """The n of every Face_<n> folder in `clustered`."""
    return [int(name[5:]) for name in os.listdir(clustered) if re.fullmatch(r"Face_\d+", name)]


def free_person_number(clustered, rows):
    """The n of the next new Face_<n>: past every cluster in faces.csv and every Face_<n> folder there is."""
    return max([r["cluster"] for r in rows] + numbered_folders(clustered), default=-1) + 1


def spread_sample(count, most=25):
    """Up to `most` indexes spread evenly over range(count), first and last included (a montage's faces)."""
    if count <= most:
        return list(range(count))
    return sorted(set(np.linspace(0, count - 1, most).round().astype(int).tolist()))


# faces.csv
def face_row(face_id, cluster, table, index, portrait, track, quality):
    """The faces.csv row of face `index` of a FaceTable."""
    frame = table.frame_of(index)
    top, right, bottom, left = table.box(index)
    return {
        "face_id": face_id, "cluster": cluster, "video": frame.video, "frame_index": frame.frame_index,
        "timestamp": "" if frame.timestamp is None else f"{frame.timestamp:.3f}", "frame_path": frame.frame_path,
        "frame_width": frame.width, "frame_height": frame.height,
        "top": top, "right": right, "bottom": bottom, "left": left, "portrait_path": portrait,
        "track": track, "quality": quality,
    }


INT_COLUMNS = ("face_id", "cluster", "frame_index", "frame_width", "frame_height", "top", "right", "bottom", "left")


def read_faces_csv(clustered):
    """The rows of `clustered`/faces.csv as dicts, numbers as ints (track: None if a row has none); the
    timestamp stays as written, so rows written back are the same text."""
    path = os.path.join(clustered, FACES_CSV)
    rows = read_csv_rows(path)
    try:
        for row in rows:
            for column in INT_COLUMNS:
                row[column] = int(row[column])
            row["track"] = int(row["track"]) if (row.get("track") or "").isdigit() else None
    except (KeyError, TypeError, ValueError) as error:
        raise UserError(f"{path} is not a faces.csv this program wrote ({error}).") from None
    return rows


def row_box(row):
    """The (top, right, bottom, left) box of a faces.csv row, in the saved frame's pixels."""
    return tuple(row[k] for k in ("top", "right", "bottom", "left"))


# Writing
def write_faces(folder, table, placed, rows, montages, renderer, workdir):
    """Write portraits, annotations and montages into `folder`, then faces.csv (a fresh run and new footage alike).

    placed: {face index in `table`: portrait path relative to `folder`} -- the faces to write now.
    rows: every faces.csv row the folder holds afterwards.
    montages: {cluster: [face indexes]}, the people whose montage is (re)written.
    renderer: a portraits.FaceImageGenerator.
    """
    covers = {cluster: clearest(table, ids) for cluster, ids in montages.items()}
    picks = {ids[k] for ids in montages.values() for k in spread_sample(len(ids))} | set(covers.values())
    tiles = renderer.write_portraits(table, placed, folder, workdir, montage_faces=picks)
    for cluster, ids in montages.items():
        chosen = [tiles[ids[k]] for k in spread_sample(len(ids)) if ids[k] in tiles]
        if chosen:
            renderer.write_montage(os.path.join(folder, montage_path(cluster)), chosen)
            renderer.write_tile(os.path.join(folder, cover_path(cluster)), tiles[covers[cluster]])
    write_text(os.path.join(folder, FACES_CSV), csv_text(rows, FACES_COLUMNS))


def add_to_edited(folder, table, placed, rows, montages, renderer, workdir):
    """Add new faces to a folder a person has edited, so that a run killed at any moment loses nothing.

    Everything new (portraits, annotations, montages, the new faces.csv) is written to a staging folder
    beside it; a journal listing those files is written last, atomically; then they are renamed into
    place (each rename atomic, never onto a file of the person's: new face ids and montage numbers are
    free ones). A run killed before the journal leaves a staging folder that the next command removes;
    killed after it, the next command finishes the moves (`recover`). Either way the folder ends as an
    uninterrupted run leaves it.
    """
    staging = folder + ADDING
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    write_faces(staging, table, placed, rows, montages, renderer, workdir)
    planned = sorted(manifest.listing(staging))
    write_text(os.path.join(staging, JOURNAL), json.dumps(planned))
    recover(folder)


def recover(folder):
    """Finish the addition a killed run journaled in `folder`'s staging folder, or remove one it had not.

    Returns True if it finished one (the folder changed: the caller rewrites the review page)."""
    staging = folder + ADDING
    if not os.path.isdir(staging):
        return False
    try:
        with open(os.path.join(staging, JOURNAL), encoding="utf-8") as f:
            planned = json.load(f)
    except (OSError, ValueError):
        shutil.rmtree(staging)  # killed before its journal: nothing of it has reached the folder
        return False
    for relative in planned:
        source, target = os.path.join(staging, relative), manifest.inside(folder, relative)
        if target is not None and os.path.exists(source):  # moved already by the run that was killed
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(source, target)
    finish(folder, human_edited=True)
    shutil.rmtree(staging)
    return True


def finish(folder, human_edited):
    """Record what `folder` holds now; once a person has edited it, it stays theirs. (The review page is the
    caller's to rewrite: the page sits above this layout.)"""
    manifest.write(os.path.join(folder, MANIFEST), manifest.listing(folder, REWRITTEN), human_edited=human_edited)


def write_new(table, assignment, workdir, clustered, renderer, force=False):
    """Write a whole new ClusteredFaces/ for `assignment` (people.Assignment): staged, then swapped in.

    Returns the faces.csv rows.
    """
    edited = os.path.exists(clustered) and is_edited(clustered)  # hashes every file: once per run
    if edited and not force:
        raise UserError(_edited_sentence(clustered))
    remove_stale_staging(clustered)
    staging = f"{clustered}.partial-{os.getpid()}"
    os.makedirs(os.path.join(staging, MONTAGE_FOLDER))
    clusters = assignment.clusters.tolist()
    placed = {i: portrait_path(folder_of(c, assignment.rejected[i]), i) for i, c in enumerate(clusters)}
    montages = {}
    for i, cluster in enumerate(clusters):
        if cluster != UNCLUSTERED and not assignment.rejected[i]:
            montages.setdefault(cluster, []).append(i)
    rows = [face_row(i, clusters[i], table, i, placed[i], assignment.tracks[i], assignment.rejected[i])
            for i in range(len(clusters))]
    write_faces(staging, table, placed, rows, montages, renderer, workdir)
    write_text(os.path.join(staging, CLASSES), "face\n")
    finish(staging, human_edited=False)
    replace_folder(staging, clustered, edited)
    return rows


# A person's edits
def is_edited(folder):
    """True if a person has worked on `folder`: its content differs from what this program last wrote, or did before."""
    try:
        written = manifest.read(os.path.join(folder, MANIFEST))
    except UserError:
        return True
    if written is None or written.get("human_edited", True):
        return True
    return written["files"] != manifest.listing(folder, REWRITTEN)


def check_replaceable(folder, force):
    """Refuse before any work if `folder` holds a person's edits and --force was not given."""
    if os.path.exists(folder) and is_edited(folder) and not force:
        raise UserError(_edited_sentence(folder))


def _edited_sentence(folder):
    return (f"{folder} has changed since this program wrote it (renamed, moved, edited or deleted portraits?); "
            "rerun with --force to move it aside (nothing is deleted), or use another --workdir.")


def replace_folder(staging, folder, edited):
    """Swap `staging` in as `folder`. An old folder a person `edited` is moved aside, never deleted.

    The old folder is renamed away before the new one is renamed in, and only
    then is an unedited one removed, so a run killed at any point leaves a
    whole folder under one of the two names.
    """
    if os.path.exists(folder):
        aside = _free_name(f"{folder}.old-{time.strftime('%Y%m%d-%H%M%S')}") if edited else f"{folder}.replaced-{os.getpid()}"
        os.rename(folder, aside)
        os.rename(staging, folder)
        if edited:
            print(f"Moved the edited {folder} aside to {aside}.")
        else:
            shutil.rmtree(aside)
    else:
        os.rename(staging, folder)


def _free_name(path):
    """`path`, or `path`-2, -3 ... if taken (two set-asides within one second)."""
    candidate, n = path, 1
    while os.path.lexists(candidate):
        n += 1
        candidate = f"{path}-{n}"
    return candidate


def remove_stale_staging(folder):
    """Remove what killed runs left half-written: staging folders and unedited old results, never an edited one."""
    for leftover in glob.glob(f"{glob.escape(folder)}.partial-*") + glob.glob(f"{glob.escape(folder)}.replaced-*"):
        shutil.rmtree(leftover, ignore_errors=True)


@dataclass
class LabelState:
    rows: list  # faces.csv rows, by face id order
    folder_of: dict = field(default_factory=dict)  # face id -> top-level folder its portrait is in now
    path_of: dict = field(default_factory=dict)  # face id -> its portrait's path, relative to the folder
    strays: list = field(default_factory=list)  # files this program did not write (relative paths)
    duplicates: dict = field(default_factory=dict)  # face id -> folders holding a copy of its portrait

    def deleted(self):
        return [r["face_id"] for r in self.rows if r["face_id"] not in self.folder_of]


def read_labels(clustered, rows=None, cache=None):
    """The state of a ClusteredFaces/ folder after a person's review.

    rows: its faces.csv rows, if already read. cache: a dict kept by a caller that reads the folder again and
    again (the review app): a folder whose modification time has not changed is not listed again.
    """
    if not os.path.isdir(clustered):
        raise UserError(f"There is no {clustered} folder; run main.py on your footage first.")
    state = LabelState(rows=read_faces_csv(clustered) if rows is None else rows)
    known = {r["face_id"] for r in state.rows}
    if cache is not None and cache.get("rows") is not state.rows:
        cache.clear()
        cache["rows"] = state.rows
    found_in = {}  # face id -> the other top-level folders holding a copy of its portrait
    pending = ["."]
    while pending:
        relative_root = pending.pop()
        top = relative_root.split("/")[0]
        dirs, portraits, strays = _scan(clustered, relative_root, top, known, cache)
        pending += [d if relative_root == "." else f"{relative_root}/{d}" for d in reversed(dirs) if d != MONTAGE_FOLDER or top != "."]
        for face_id, path in portraits:
            if face_id not in state.folder_of:
                state.folder_of[face_id] = top
                state.path_of[face_id] = path
            elif state.folder_of[face_id] != top:
                found_in.setdefault(face_id, set()).add(top)
        state.strays += strays
    state.strays.sort()
    for face_id, others in found_in.items():  # a portrait in two folders is no one's vote
        state.duplicates[face_id] = sorted(others | {state.folder_of.pop(face_id)})
        del state.path_of[face_id]
    return state


def _scan(clustered, relative_root, top, known, cache):
    """(sub-folders, [(face id, portrait path)], [paths of files not ours]) of one folder, from the cache if its
    modification time is the cached one."""
    path = clustered if relative_root == "." else os.path.join(clustered, relative_root)
    mtime = os.stat(path).st_mtime_ns
    hit = cache.get(relative_root) if cache is not None else None
    if hit is not None and hit[0] == mtime:
        return hit[1]
    dirs, files = [], []
    with os.scandir(path) as entries:
        for entry in entries:
            (dirs if entry.is_dir(follow_symlinks=False) else files).append(entry.name)
    prefix = "" if relative_root == "." else relative_root + "/"
    portraits, strays = [], []
    for name in sorted(files):
        if top == "." and name in OURS_AT_TOP:
            continue
        match = FACE_FILE.match(name)
        face_id = int(match.group(1)) if match else None
        if face_id in known and top != "." and match.group(2).lower() == "jpg":
            portraits.append((face_id, prefix + name))
        elif face_id not in known or match.group(2).lower() != "txt":  # an annotation goes with its portrait
            strays.append(prefix + name)
    result = (sorted(dirs), portraits, strays)
    if cache is not None:
        cache[relative_root] = (mtime, result)
    return result


# A person's operations, as the review app does them: each is the file operation a person could do by hand
# (rename a folder, move a portrait with its annotation, put it in a bucket), planned as steps that can be
# checked before anything moves, applied again after a kill (a step already done is skipped), and inverted.
#   ["move", from, to]   rename a file or folder (paths relative to ClusteredFaces/)
#   ["mkdir", path]      make a folder            ["rmdir", path]   remove a folder once it is empty
NOT_A_FACE = NOT_A_FACE_FOLDER  # the detector was wrong: no face is there
NOT_WANTED = "_not_wanted"  # a real face of someone the person does not want as a class
BUCKETS = (NOT_A_FACE, NOT_WANTED)
RESERVED = set(NOT_PEOPLE) | {FACES_CSV, CLASSES, MANIFEST, REVIEW_PAGE, REVIEW_HISTORY}


def name_problem(name):
    """Why `name` cannot be a person's folder name (None if it can)."""
    if not name or not name.strip():
        return "a name cannot be empty"
    if name != name.strip():
        return "a name cannot start or end with a space"
    if "/" in name or "\\" in name or name in (".", "..") or "\0" in name:
        return "a name cannot hold / or \\ or be . or .."
    if name.startswith(".") or name in RESERVED:
        return f"{name} is a name this program uses itself"
    if len(name.encode("utf-8")) > 200:
        return "a name can be at most 200 bytes long"
    return None


def _files_below(clustered, folder):
    found = []
    for root, _, files in os.walk(os.path.join(clustered, folder)):
        found += [os.path.relpath(os.path.join(root, n), clustered).replace(os.sep, "/") for n in files]
    return found


def _annotation(clustered, portrait):
    """The annotation beside a portrait (same stem, .txt in any case), relative, or None."""
    stem = os.path.splitext(portrait)[0]
    for ext in (".txt", ".TXT"):
        if os.path.lexists(os.path.join(clustered, stem + ext)):
            return stem + ext
    return None


def plan_move_faces(clustered, state, face_ids, folder):
    """Steps that move each face's portrait (and annotation) into top-level `folder`, made if missing; a person
    folder left with no file is removed."""
    steps = [] if os.path.isdir(os.path.join(clustered, folder)) else [["mkdir", folder]]
    moved, emptied = set(), set()
    for face_id in face_ids:
        portrait = state.path_of[face_id]
        source = portrait.split("/")[0]
        if source == folder:
            continue
        for path in (portrait, _annotation(clustered, portrait)):
            if path is not None:
                steps.append(["move", path, f"{folder}/{os.path.basename(path)}"])
                moved.add(path)
        emptied.add(source)
    for source in sorted(emptied):
        if source not in NOT_PEOPLE and set(_files_below(clustered, source)) <= moved:
            steps.append(["rmdir", source])
    return steps


def plan_rename(clustered, old, new):
    """Steps that rename folder `old` to `new`; into an existing `new`, they move every file of `old` there
    (a merge), and refuse if a name is taken in both."""
    problem = name_problem(new)
    if problem:
        raise UserError(f"Cannot name a folder {new!r}: {problem}.")
    if old == new:
        return []
    if not os.path.lexists(os.path.join(clustered, new)):
        return [["move", old, new]]
    steps = []
    for entry in sorted(os.listdir(os.path.join(clustered, old))):
        if os.path.lexists(os.path.join(clustered, new, entry)):
            raise UserError(f"Cannot merge {old} into {new}: both hold a file {entry}.")
        steps.append(["move", f"{old}/{entry}", f"{new}/{entry}"])
    return steps + [["rmdir", old]]


def inverse_steps(steps):
    """The steps that undo `steps`."""
    opposite = {"mkdir": "rmdir", "rmdir": "mkdir"}
    return [["move", s[2], s[1]] if s[0] == "move" else [opposite[s[0]], s[1]] for s in reversed(steps)]


def check_steps(clustered, steps):
    """Refuse, before anything moves, steps that the folder as it is now (a hand edit meanwhile?) does not allow."""
    there, gone = set(), set()
    exists = lambda p: (p in there or os.path.lexists(os.path.join(clustered, p))) and p not in gone  # noqa: E731
    for step in steps:
        for path in step[1:]:
            if manifest.inside(clustered, path) is None:
                raise UserError(f"{path} is not inside {clustered}.")
        if step[0] == "move":
            if not exists(step[1]):
                raise UserError(f"{step[1]} is no longer in {clustered} (changed meanwhile?); reload the page.")
            if exists(step[2]):
                raise UserError(f"{step[2]} already exists in {clustered} (changed meanwhile?); reload the page.")
            gone.add(step[1])
            there.add(step[2])
            gone.discard(step[2])


def apply_steps(clustered, steps):
    """Carry out `steps`; a step a killed earlier attempt already did is skipped, so this also rolls forward."""
    for step in steps:
        kind, path = step[0], os.path.join(clustered, step[1])
        if kind == "mkdir":
            os.makedirs(path, exist_ok=True)
        elif kind == "rmdir":
            with contextlib.suppress(OSError):
                os.rmdir(path)  # a folder still holding a file (a person's, meanwhile) stays
        else:
            target = os.path.join(clustered, step[2])
            if os.path.lexists(path) and not os.path.lexists(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.rename(path, target)
