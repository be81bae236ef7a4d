"""Where a reviewer should look: folders that are likely one person, and faces that are likely someone else.

Computed from the folders as they are now (portraits are the person's votes),
with the encodings of encodings.pickle, so a merge done by moving files makes
its suggestion disappear. Distances are on the encoder's scale.
"""

from dataclasses import dataclass

import numpy as np

from ..clustering.people import encoder_of
from ..common.workfolder import WorkFolder
from ..encoding.datastore import load_collated
from ..output.clustered import is_person_folder, read_labels, row_box

MOST = 60  # faces per folder compared, spread over the folder: enough for a mean, cheap for thousands


@dataclass
class Merge:
    """Two folders whose faces are, on average, closer than the encoder's merge distance: likely one person."""

    first: str
    second: str
    distance: float  # mean distance between the two folders' faces
    first_faces: list  # face ids to show side by side
    second_faces: list


@dataclass
class Doubtful:
    """A face far from the rest of its folder: likely someone else."""

    folder: str
    face_id: int
    distance: float  # mean distance to the folder's other faces


def folder_encodings(workdir):
    """{person folder: (face ids, (N, D) encodings)} as the folders are now, and the table's encoder."""
    folder = WorkFolder(workdir)
    state = read_labels(folder.clustered)
    table = load_collated(folder.collated)
    index = {(table.frame_of(i).frame_path, table.box(i)): i for i in range(len(table))}
    found = {}
    for row in state.rows:
        face_id = row["face_id"]
        name = state.folder_of.get(face_id)
        i = index.get((row["frame_path"], row_box(row)))
        if name is not None and is_person_folder(name) and i is not None:
            ids, rows = found.setdefault(name, ([], []))
            ids.append(face_id)
            rows.append(i)
    return {name: (ids, table.encodings[rows]) for name, (ids, rows) in found.items()}, encoder_of(table)


def _spread(count, most=MOST):
    return np.unique(np.linspace(0, count - 1, min(count, most)).round().astype(int))


def _distances(a, b):
    """(len(a), len(b)) Euclidean distances, as one matrix product."""
    squares = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.maximum(squares, 0.0))


def suggest(folders, encoder, merges_within=None, doubtful_beyond=None):
    """Likely merges, nearest first, and each folder's doubtful faces, farthest first.

    merges_within: the largest mean distance between two folders suggested as one person
        (default: the encoder's `merge_distance`).
    doubtful_beyond: the least mean distance from a face to the rest of its folder that makes it doubtful
        (default: the encoder's `doubtful_distance`).
    """
    merges_within = encoder.merge_distance if merges_within is None else merges_within
    doubtful_beyond = encoder.doubtful_distance if doubtful_beyond is None else doubtful_beyond
    names = sorted(folders)
    samples = [folders[n][1][_spread(len(folders[n][0]))] for n in names]
    if not names:
        return [], []
    # Every folder's sample against all the others at once: the index rebuilds and the page on every run use this.
    everyone = np.concatenate(samples)
    starts = np.cumsum([0] + [len(x) for x in samples[:-1]])
    sizes = np.array([len(x) for x in samples])
    merges = []
    for a, name in enumerate(names):
        means = np.add.reduceat(_distances(samples[a], everyone).mean(axis=0), starts) / sizes
        for b in range(a + 1, len(names)):
            if means[b] <= merges_within:
                ids_a, ids_b = folders[name][0], folders[names[b]][0]
                merges.append(Merge(name, names[b], float(means[b]), [ids_a[k] for k in _spread(len(ids_a), 6)],
                                    [ids_b[k] for k in _spread(len(ids_b), 6)]))
    doubtful = []
    for name, sample in zip(names, samples):
        ids, encodings = folders[name]
        if len(ids) < 3:
            continue  # with one or two faces, nothing says which is the odd one
        distances = _distances(encodings, sample)
        others = np.ones(distances.shape, dtype=bool)
        sampled = _spread(len(ids))
        others[sampled, np.arange(len(sampled))] = False  # a face is not compared with itself
        means = (distances * others).sum(1) / np.maximum(others.sum(1), 1)
        doubtful += [Doubtful(name, face_id, float(m)) for face_id, m in zip(ids, means) if m > doubtful_beyond]
    merges.sort(key=lambda m: m.distance)
    doubtful.sort(key=lambda d: (d.folder, -d.distance))
    return merges, doubtful


def suggestion_lines(workdir, most=20):
    """`main.py review`: the suggestions as lines for a terminal."""
    folders, encoder = folder_encodings(workdir)
    merges, doubtful = suggest(folders, encoder)
    lines = [f"{len(merges)} likely merges (mean distance between their faces, {encoder.name} scale; "
             f"at most {encoder.merge_distance}):"]
    lines += [f"  {m.distance:.3f}  {m.first}  +  {m.second}" for m in merges[:most]]
    lines.append(f"{len(doubtful)} doubtful faces (far from the rest of their folder, over {encoder.doubtful_distance}):")
    lines += [f"  {d.distance:.3f}  {d.folder}/face_{d.face_id}.jpg" for d in doubtful[:most]]
    return lines
