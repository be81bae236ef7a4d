"""Stage 4 as the run sees it: from collated faces to a person (cluster) per face.

Faces that fail the quality gate are kept out of clustering; the rest are
linked into tracks and clustered on the chosen features.
"""

import os
from dataclasses import dataclass

import cv2
import numpy as np

from ..common.answers import cannot_link
from ..common.errors import UserError
from ..encoding.encoders import ENCODERS
from ..encoding.faces import landmarks_68
from .algorithms import UNCLUSTERED, FaceClusterUtility, landmark_features
from .tracks import link_tracks

FEATURES = ("encodings", "landmarks")
def encoder_of(table):
    """The encoder (encoders.py) whose encodings the FaceTable holds; it gives every distance threshold's default."""
    return ENCODERS[table.encoder]


def eps_of(table, clustering):
    """The clustering threshold: the user's --eps, else the encoder's measured same-person distance."""
    return clustering.eps if clustering.eps is not None else encoder_of(table).same_person


@dataclass
class Assignment:
    """Per face (in table order): its cluster (-1: none), its track, why it was kept out ("" if not),
    and the features it was clustered on."""

    clusters: np.ndarray
    tracks: list
    rejected: list
    features: np.ndarray

    @property
    def people(self):
        return len(set(self.clusters.tolist()) - {UNCLUSTERED})


def quality_problems(table, min_face=0, min_sharpness=0.0):
    """Per face, why it is too poor to cluster ("" if it is fine)."""
    sizes = np.minimum(table.boxes[:, 1] - table.boxes[:, 3], table.boxes[:, 2] - table.boxes[:, 0])
    return [
        f"small (under {min_face} px)" if size < min_face else
        f"blurred (sharpness {sharpness:.0f} under {min_sharpness:g})" if sharpness < min_sharpness else ""
        for size, sharpness in zip(sizes.tolist(), table.sharpness.tolist())
    ]


def face_features(table, kind="encodings", workdir="."):
    """One feature row per face: its encoding, or its normalized 68-landmark shape."""
    if kind == "landmarks":
        return landmark_features(landmarks_of(table, workdir))
    return table.encodings


def landmarks_of(table, workdir="."):
    """The 68 landmarks of every face, reading each frame from disk once."""
    found = [None] * len(table)
    for number, ids in table.faces_by_frame().items():
        path = os.path.join(workdir, table.frames[number].frame_path)
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            raise UserError(f"{path} is missing or unreadable; landmarks are measured on the saved frames.")
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        for i in ids:
            found[i] = landmarks_68(rgb, table.box(i))
    return found


def assign_people(table, clustering, workdir=".", tracks=None):
    """Cluster the faces of a FaceTable as `clustering` (settings.ClusteringSettings) asks.

    workdir: where the frames are (read only for --features landmarks), and the review's answers: faces a
        person said are different people never share a cluster.
    tracks: a track id per face, when the caller has linked them itself.
    """

    rejected = quality_problems(table, clustering.min_face, clustering.min_sharpness)
    if not clustering.tracks:
        tracks = list(range(len(table)))
    elif tracks is None:
        tracks = link_tracks(table, encoder_of(table).track_distance)
    keep = np.array([not reason for reason in rejected], dtype=bool)
    features = face_features(table, clustering.features, workdir)
    clusters = np.full(len(table), UNCLUSTERED, dtype=int)
    if keep.any():
        clusters[keep] = FaceClusterUtility(
            clustering.algorithm, eps_of(table, clustering), clustering.min_samples, clustering.people, clustering.pca,
            clustering.jobs
        ).cluster(features[keep], frames=table.frame[keep], tracks=np.array(tracks)[keep],
                  cannot_link=_kept(cannot_link(workdir, table), keep))
    return Assignment(clusters, tracks, rejected, features)


def _kept(pairs, keep):
    """Cannot-link pairs of table rows, renumbered to the rows kept for clustering."""
    position = np.cumsum(keep) - 1
    kept = [([position[i] for i in a if keep[i]], [position[i] for i in b if keep[i]]) for a, b in pairs]
    return [(a, b) for a, b in kept if a and b]
