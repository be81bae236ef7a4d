"""What the review app shows, computed from ClusteredFaces/ as it is now (the folders are the truth).

A `Snapshot` is rebuilt whenever the folders, faces.csv, encodings.pickle or the answers change (a hand edit in a
file manager or a main.py run included), and is cached otherwise, so a day's footage answers quickly.

Distances are root-mean-square distances between two sets of faces, on the encoder's scale: for sets A and B,
mean |a - b|^2 = mean |a|^2 + mean |b|^2 - 2 mean(a) . mean(b), so every pair of folders costs one dot product of
their mean encodings, however many faces they hold.
"""

import hashlib
import os
import threading
from dataclasses import dataclass

import numpy as np

from ..clustering.people import encoder_of
from ..common import answers
from ..common.answers import face_key
from ..common.workfolder import WorkFolder
from ..encoding.datastore import load_collated
from ..output.clustered import (
    BUCKETS,
    NOT_PEOPLE,
    UNCLUSTERED_FOLDER,
    is_named,
    is_person_folder,
    read_faces_csv,
    read_labels,
    row_box,
    spread_sample,
)


def folder_id(name):
    """The id a request names a folder by: never its name or path."""
    return hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]


@dataclass
class FolderStats:
    count: int
    mean: np.ndarray  # mean encoding
    mean_square: float  # mean squared norm

    @classmethod
    def of(cls, x):
        return cls(len(x), x.mean(axis=0), float((x * x).sum(axis=1).mean()))


def _rms(mean_square_a, mean_square_b, dot):
    return np.sqrt(np.maximum(mean_square_a + mean_square_b - 2 * dot, 0.0))


class Faces:
    """What faces.csv and encodings.pickle say: read again only when a run rewrites them."""

    def __init__(self, workdir):
        folder = WorkFolder(workdir)
        self.row_list = read_faces_csv(folder.clustered)
        self.rows = {r["face_id"]: r for r in self.row_list}
        self.table = load_collated(folder.collated)
        self.encoder = encoder_of(self.table)
        self.key_of = {i: face_key(r["frame_path"], row_box(r)) for i, r in self.rows.items()}
        self.face_of_key = {k: i for i, k in self.key_of.items()}
        table_row = {face_key(f, b): i for i, (f, b) in enumerate(zip(
            (self.table.frames[n].frame_path for n in self.table.frame.tolist()), self.table.boxes.tolist()))}
        self.table_row = {i: table_row[k] for i, k in self.key_of.items() if k in table_row}


class Snapshot:
    """The folders, their faces and the questions worth asking, at one moment."""

    def __init__(self, workdir, covers, faces=None, listings=None):
        faces = faces or Faces(workdir)
        self.workdir = workdir
        self.clustered = WorkFolder(workdir).clustered
        self.state = read_labels(self.clustered, faces.row_list, listings)
        self.faces_read = faces
        self.rows, self.table, self.encoder, self.table_row = faces.rows, faces.table, faces.encoder, faces.table_row
        self.members = {}
        for face_id in sorted(self.state.folder_of):
            self.members.setdefault(self.state.folder_of[face_id], []).append(face_id)
        self.by_id = {folder_id(name): name for name in self.members}
        for name in os.listdir(self.clustered):  # empty folders of a person's own, so they can be named into
            if os.path.isdir(os.path.join(self.clustered, name)) and name not in NOT_PEOPLE:
                self.by_id.setdefault(folder_id(name), name)
        self.stats, encodings = {}, {}
        for name, ids in self.members.items():
            if is_person_folder(name):
                known = [i for i in ids if i in self.table_row]
                if known:
                    encodings[name] = (known, self._encodings(known))
                    self.stats[name] = FolderStats.of(encodings[name][1])
        self.doubt = self._doubt(encodings)
        self.covers = {name: self._cover(name, covers.get(name)) for name in self.members}
        self.different = answers.read_different(workdir)
        self._people, self._questions = None, {}

    def _encodings(self, face_ids):
        rows = [self.table_row[i] for i in face_ids if i in self.table_row]
        return self.table.encodings[rows] if rows else np.zeros((0, self.table.encodings.shape[1]))

    def _doubt(self, encodings):
        """Per face in a person folder: its RMS distance to the rest of its folder (0 when alone)."""
        doubt = {}
        for name, stats in self.stats.items():
            ids, x = encodings[name]
            n = len(ids)
            if n < 2:
                doubt.update({i: 0.0 for i in ids})
                continue
            squares = (x * x).sum(axis=1)
            rest_mean = (stats.mean * n - x) / (n - 1)
            rest_square = (stats.mean_square * n - squares) / (n - 1)
            values = _rms(squares, rest_square, (x * rest_mean).sum(axis=1))
            doubt.update(dict(zip(ids, values.tolist())))
        return doubt

    def _cover(self, name, chosen):
        ids = self.members[name]
        if chosen in ids:
            return chosen
        known = [i for i in ids if i in self.table_row]
        if not known:
            return ids[0]
        rows = np.array([self.table_row[i] for i in known])
        # output/clustered.clearest's rule (the detector's surest, then the sharpest), for a whole folder at once
        order = np.lexsort((-np.arange(len(rows)), self.table.sharpness[rows], np.round(self.table.scores[rows], 2)))
        return known[int(order[-1])]

    # What the overview shows
    def people(self):
        """Every folder that holds faces, person folders first, with what the overview shows of it (computed once)."""
        if self._people is None:
            self._people = self._list_people()
        return self._people

    def _list_people(self):
        found = []
        for name, ids in self.members.items():
            times = [(self.rows[i]["video"], self.rows[i]["timestamp"], i) for i in ids]
            first, last = min(ids), max(ids)
            found.append({
                "id": folder_id(name), "name": name, "count": len(ids), "cover": self.covers[name],
                "named": is_named(name), "person": is_person_folder(name), "bucket": name in BUCKETS,
                "doubt": round(max((self.doubt.get(i, 0.0) for i in ids), default=0.0), 3),
                "first": _seen(self.rows[first]), "last": _seen(self.rows[last]),
                "videos": len({t[0] for t in times}),
            })
        found.sort(key=lambda p: (not p["person"], min(self.members[p["name"]])))
        return found

    def faces(self, name):
        """A folder's faces, most doubtful first."""
        ids = sorted(self.members.get(name, []), key=lambda i: (-self.doubt.get(i, 0.0), i))
        return [{"id": i, "track": self.rows[i]["track"], "doubt": round(self.doubt.get(i, 0.0), 3),
                 "seen": _seen(self.rows[i])} for i in ids]

    def frame_faces(self, face_id):
        """Every face of the frame that `face_id` is in, with its box and folder."""
        frame_path = self.rows[face_id]["frame_path"]
        row = self.rows[face_id]
        return {"width": row["frame_width"], "height": row["frame_height"], "seen": _seen(row),
                "faces": [{"id": r["face_id"], "box": list(row_box(r)), "folder": self.state.folder_of.get(r["face_id"]),
                           "folder_id": folder_id(self.state.folder_of[r["face_id"]]) if r["face_id"] in self.state.folder_of else None}
                          for r in self.state.rows if r["frame_path"] == frame_path]}

    def track_of(self, face_id):
        """The face ids of `face_id`'s track that are in the same folder."""
        track = self.rows[face_id]["track"]
        name = self.state.folder_of.get(face_id)
        if track is None:
            return [face_id]
        return [i for i in self.members.get(name, []) if self.rows[i]["track"] == track]

    def keys(self, face_ids):
        return sorted(self.faces_read.key_of[i] for i in face_ids)

    # The "same person?" queue
    def _answered(self):
        """Pairs of folders, and (face, folder) pairs, a person already said are different people."""
        face_of_key, folder_of = self.faces_read.face_of_key, self.state.folder_of
        pairs = set()
        for first, second in self.different:
            a_faces = [face_of_key.get(k) for k in first]
            b_faces = [face_of_key.get(k) for k in second]
            a = {folder_of.get(i) for i in a_faces} | {("face", i) for i in a_faces}
            b = {folder_of.get(i) for i in b_faces} | {("face", i) for i in b_faces}
            pairs |= {(x, y) for x in a for y in b} | {(y, x) for x in a for y in b}
        return pairs

    def questions(self, skipped=()):
        """Folder pairs ("same person?"), nearest first, then lone unclustered faces close to a person ("is this X?"),
        down to the encoder's `ask_within`; never one answered "no", nor one skipped in this session."""
        skipped = frozenset(skipped)
        if skipped not in self._questions:
            self._questions = {skipped: self._ask(skipped)}
        return self._questions[skipped]

    def _ask(self, skipped):
        limit = self.encoder.ask_within
        answered = self._answered()
        names = sorted(self.stats)
        asked = []
        if len(names) > 1:
            means = np.stack([self.stats[n].mean for n in names])
            squares = np.array([self.stats[n].mean_square for n in names])
            distances = _rms(squares[:, None], squares[None, :], means @ means.T)
            for a, b in zip(*np.nonzero(np.triu(distances <= limit, 1))):
                first, second = names[a], names[b]
                if (first, second) not in answered and ("pair", first, second) not in skipped:
                    asked.append(self._pair_question(first, second, float(distances[a, b])))
        asked.sort(key=lambda q: q["distance"])
        strays = []
        lone = [i for i in self.members.get(UNCLUSTERED_FOLDER, []) if i in self.table_row]
        if lone and names:
            x = self._encodings(lone)
            means = np.stack([self.stats[n].mean for n in names])
            squares = np.array([self.stats[n].mean_square for n in names])
            distances = _rms((x * x).sum(axis=1)[:, None], squares[None, :], x @ means.T)
            for row, face_id in enumerate(lone):
                for b in np.argsort(distances[row]):
                    name = names[b]
                    if distances[row, b] > limit:
                        break
                    if (("face", face_id), name) not in answered and ("stray", face_id, name) not in skipped:
                        strays.append(self._stray_question(face_id, name, float(distances[row, b])))
                        break
        strays.sort(key=lambda q: q["distance"])
        return asked + strays

    def _sample(self, name, most=8):
        ids = sorted(self.members[name], key=lambda i: (self.doubt.get(i, 0.0), i))  # the most typical first
        return [ids[k] for k in spread_sample(len(ids), most)]

    def _pair_question(self, first, second, distance):
        return {"kind": "pair", "key": ["pair", first, second], "distance": round(distance, 3),
                "a": self._side(first), "b": self._side(second)}

    def _stray_question(self, face_id, name, distance):
        return {"kind": "stray", "key": ["stray", face_id, name], "distance": round(distance, 3),
                "face": face_id, "seen": _seen(self.rows[face_id]), "b": self._side(name)}

    def _side(self, name):
        return {"id": folder_id(name), "name": name, "count": len(self.members[name]), "faces": self._sample(name),
                "named": is_named(name)}

    def progress(self, questions):
        people = [n for n in self.members if is_person_folder(n)]
        return {"people": len(people), "named": sum(1 for n in people if is_named(n)), "questions": len(questions)}


def _seen(row):
    seconds = float(row["timestamp"]) if row["timestamp"] not in ("", None) else None
    where = os.path.basename(row["video"])
    if seconds is None:
        return where
    return f"{where} {int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"


class Review:
    """The current Snapshot of a work folder, rebuilt only when something it reads has changed."""

    def __init__(self, workdir, history):
        self.workdir = workdir
        self.history = history
        self._lock = threading.Lock()
        self._snapshot, self._signature = None, None
        self._faces, self._faces_signature = None, None
        self._listings = {}  # read_labels' cache of the folders' listings

    def _current_signature(self):
        folder = WorkFolder(self.workdir)
        marks = []
        for path in (folder.clustered, folder.collated, folder.answers, self.history.path,
                     os.path.join(folder.clustered, "faces.csv")):
            try:
                marks.append(os.stat(path).st_mtime_ns)
            except FileNotFoundError:
                marks.append(None)
        with os.scandir(folder.clustered) as entries:
            marks += sorted((e.name, e.stat().st_mtime_ns) for e in entries if e.is_dir(follow_symlinks=False))
        return tuple(marks)

    def snapshot(self):
        with self._lock:
            signature = self._current_signature()
            if signature != self._signature:
                runs_files = signature[1], signature[4]  # encodings.pickle and faces.csv: a run rewrote them
                if runs_files != self._faces_signature:
                    self._faces, self._faces_signature = Faces(self.workdir), runs_files
                self._snapshot = Snapshot(self.workdir, self.history.covers(), self._faces, self._listings)
                self._signature = signature
            return self._snapshot
