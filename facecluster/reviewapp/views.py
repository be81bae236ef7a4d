"""The review app's pages and JSON answers. Folders and faces are named by id (never by path); an unknown id is a
404. Every change goes through the ClusteredFaces layout's operations (output/clustered.py) and the History, under
the work folder's lock, after reading the folders again."""

import os
import threading

import cv2
from flask import Blueprint, abort, current_app, jsonify, render_template, request, send_file

from ..common.errors import UserError
from ..common.files import write_image
from ..common.workfolder import WorkFolder
from ..output.clustered import (
    NOT_A_FACE,
    NOT_WANTED,
    UNCLUSTERED_FOLDER,
    is_named,
    free_person_number,
    is_person_folder,
    name_problem,
    person_folder,
    plan_move_faces,
    plan_rename,
    row_box,
)
from ..output.portraits import face_tile

blueprint = Blueprint("review", __name__)
_writing = threading.Lock()  # one change at a time in this process; the work folder's lock keeps main.py out
_skipped = set()  # questions skipped in this session ("s"): asked again after a restart


def _review():
    return current_app.extensions["review"]


def _history():
    return current_app.extensions["history"]


def _workdir():
    return current_app.config["WORKDIR"]


def _folder(snapshot, fid):
    name = snapshot.by_id.get(fid)
    if name is None:
        abort(404, "No such folder (renamed or removed meanwhile?); reload the page.")
    return name


def _face(snapshot, face_id):
    if face_id not in snapshot.rows:
        abort(404, "No such face.")
    return face_id


def _body():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "A change is sent as a JSON object.")
    for value in body.values():
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and ("/" in text or "\\" in text or "\0" in text):
                abort(404, "No such folder or face.")  # never a path: names and ids only
    return body


@blueprint.get("/")
def index():
    return render_template("index.html", token=current_app.config["TOKEN"])


@blueprint.get("/api/state")
def state():
    snapshot = _review().snapshot()
    questions = snapshot.questions(_skipped)
    return jsonify(people=snapshot.people(), progress=snapshot.progress(questions), history=_history().counts(),
                   names=sorted(n for n in snapshot.members if is_named(n)), encoder=snapshot.encoder.name)


@blueprint.get("/api/folder/<fid>")
def folder(fid):
    snapshot = _review().snapshot()
    name = _folder(snapshot, fid)
    return jsonify(id=fid, name=name, named=is_named(name), person=is_person_folder(name),
                   cover=snapshot.covers.get(name), faces=snapshot.faces(name))


@blueprint.get("/api/question")
def question():
    snapshot = _review().snapshot()
    questions = snapshot.questions(_skipped)
    return jsonify(question=questions[0] if questions else None, left=len(questions))


@blueprint.get("/api/frame/<int:face_id>")
def frame(face_id):
    snapshot = _review().snapshot()
    return jsonify(snapshot.frame_faces(_face(snapshot, face_id)))


@blueprint.get("/api/track/<int:face_id>")
def track(face_id):
    snapshot = _review().snapshot()
    return jsonify(faces=snapshot.track_of(_face(snapshot, face_id)))


@blueprint.get("/faces/<int:face_id>.jpg")
def face_image(face_id):
    """The face itself, square, cut once from its saved frame and cached."""
    snapshot = _review().snapshot()
    row = snapshot.rows.get(face_id) or abort(404, "No such face.")
    cache = WorkFolder(_workdir()).review_cache
    name = "_".join(map(str, (row["frame_path"].replace("/", "_"), *row_box(row)))) + ".jpg"
    path = os.path.join(cache, name)
    if not os.path.exists(path):
        image = cv2.imread(os.path.join(_workdir(), row["frame_path"]), cv2.IMREAD_COLOR)
        if image is None:
            abort(404, "The frame of this face is missing from Frames/.")
        os.makedirs(cache, exist_ok=True)
        write_image(path, face_tile(image, row_box(row), size=160), jpeg_quality=90)
    return send_file(os.path.abspath(path), mimetype="image/jpeg", max_age=3600)


@blueprint.get("/frames/<int:face_id>.jpg")
def frame_image(face_id):
    snapshot = _review().snapshot()
    row = snapshot.rows.get(face_id) or abort(404, "No such face.")
    path = os.path.realpath(os.path.join(_workdir(), row["frame_path"]))
    frames = os.path.realpath(WorkFolder(_workdir()).frames)
    if os.path.commonpath([path, frames]) != frames or not os.path.isfile(path):
        abort(404, "The frame of this face is missing from Frames/.")
    return send_file(path, mimetype="image/jpeg", max_age=3600)


# Changes
def _change(label, plan):
    """Plan and carry out one action under both locks, from the folders as they are now; answer the new state."""
    with _writing, WorkFolder(_workdir()).lock():
        snapshot = _review().snapshot()
        steps = plan(snapshot)
        if steps:
            _history().do(label(snapshot) if callable(label) else label, steps)
    return jsonify(done=bool(steps), history=_history().counts())


def _new_person_name(snapshot):
    return person_folder(free_person_number(snapshot.clustered, snapshot.state.rows))


def _target(snapshot, body):
    """The folder a move goes to: a folder id, an existing name, "new" (a new Face_<n>), or a bucket."""
    to = body.get("to")
    if to == "new":
        return _new_person_name(snapshot)
    if to in ("not_a_face", "not_wanted"):
        return NOT_A_FACE if to == "not_a_face" else NOT_WANTED
    if isinstance(to, str) and to in snapshot.by_id:
        return snapshot.by_id[to]
    name = body.get("name")
    if isinstance(name, str) and name in snapshot.members:
        return name
    if isinstance(name, str) and body.get("create"):  # a new name only when the person confirmed it: no typo
        problem = name_problem(name)
        if problem:
            raise UserError(f"Cannot make a folder {name!r}: {problem}.")
        return name
    abort(404, "No such folder; to make a new person of that name, confirm it.")


def _faces(snapshot, body):
    ids = body.get("faces")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
        abort(400, "Name the faces by their ids.")
    for i in ids:
        if i not in snapshot.state.path_of:
            abort(404, f"No face {i} in the folders (moved or deleted meanwhile?); reload the page.")
    return ids


@blueprint.post("/api/move")
def move():
    body = _body()

    def plan(snapshot):
        ids, target = _faces(snapshot, body), _target(snapshot, body)
        plan.label = f"move {len(ids)} face{'s' if len(ids) != 1 else ''} to {target}"
        return plan_move_faces(snapshot.clustered, snapshot.state, ids, target)

    return _change(lambda s: plan.label, plan)


@blueprint.post("/api/rename")
def rename():
    """Name a folder. An existing name merges into that folder: without "confirm", say so and change nothing."""
    body = _body()
    snapshot = _review().snapshot()
    old = _folder(snapshot, body.get("folder"))
    new = body.get("name")
    if not isinstance(new, str):
        abort(400, "Give the new name.")
    new = new.strip()
    problem = name_problem(new)
    if problem:
        raise UserError(f"Cannot name a folder {new!r}: {problem}.")
    if new in snapshot.members and new != old and not body.get("confirm"):
        return jsonify(confirm=f"{new} exists already ({len(snapshot.members[new])} faces): {old} "
                               f"({len(snapshot.members[old])} faces) will be merged into it; the name {new} and "
                               f"its cover face remain.")
    label = f"merge {old} into {new}" if new in snapshot.members else f"rename {old} to {new}"
    return _change(label, lambda s: plan_rename(s.clustered, _folder(s, body.get("folder")), new))


@blueprint.post("/api/cover")
def cover():
    body = _body()

    def plan(snapshot):
        name = _folder(snapshot, body.get("folder"))
        face_id = _face(snapshot, body.get("face"))
        if snapshot.state.folder_of.get(face_id) != name:
            abort(404, "That face is not in that folder.")
        return [["cover", name, _history().covers().get(name), face_id]]

    return _change("change a cover face", plan)


@blueprint.post("/api/answer")
def answer():
    """The queue's answers: "yes" merges (or moves the lone face in), "no" remembers two people, "skip"."""
    body = _body()
    key, reply = body.get("key"), body.get("answer")
    if not (isinstance(key, list) and len(key) == 3 and key[0] in ("pair", "stray")) or reply not in ("yes", "no", "skip"):
        abort(400, "An answer names its question and says yes, no or skip.")
    if reply == "skip":
        _skipped.add(tuple(key))
        return jsonify(done=False, history=_history().counts())

    def plan(snapshot):
        if key[0] == "pair":
            first, second = key[1], key[2]
            if first not in snapshot.members or second not in snapshot.members:
                abort(404, "No such folder (renamed meanwhile?); reload the page.")
            if reply == "no":
                plan.label = f"{first} and {second} are different people"
                return [["answer", [snapshot.keys(snapshot.members[first]), snapshot.keys(snapshot.members[second])]]]
            keeper, other = _keeper(snapshot, first, second)
            plan.label = f"merge {other} into {keeper}"
            return plan_rename(snapshot.clustered, other, keeper)
        face_id, name = _face(snapshot, key[1]), key[2]
        if name not in snapshot.members or snapshot.state.folder_of.get(face_id) != UNCLUSTERED_FOLDER:
            abort(404, "That question no longer applies; reload the page.")
        if reply == "no":
            plan.label = f"face {face_id} is not {name}"
            return [["answer", [snapshot.keys([face_id]), snapshot.keys(snapshot.members[name])]]]
        plan.label = f"face {face_id} is {name}"
        return plan_move_faces(snapshot.clustered, snapshot.state, [face_id], name)

    return _change(lambda s: plan.label, plan)


def _keeper(snapshot, first, second):
    """Which of two folders a merge keeps: the named one, else the larger (the first on a tie)."""
    rank = lambda n: (is_named(n), len(snapshot.members[n]))  # noqa: E731
    return (first, second) if rank(first) >= rank(second) else (second, first)


@blueprint.post("/api/undo")
def undo():
    with _writing, WorkFolder(_workdir()).lock():
        label = _history().undo()
    return jsonify(done=label, history=_history().counts())


@blueprint.post("/api/redo")
def redo():
    with _writing, WorkFolder(_workdir()).lock():
        label = _history().redo()
    return jsonify(done=label, history=_history().counts())


@blueprint.post("/api/export")
def export_dataset():
    """`main.py export` with its defaults, from the app."""
    from ..export import export
    from ..review.page import write_review_page

    with _writing, WorkFolder(_workdir()).lock():
        lines = export(_workdir())
        write_review_page(WorkFolder(_workdir()).clustered)
    return jsonify(lines=lines)
