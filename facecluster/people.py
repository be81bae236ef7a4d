"""Stage 4 as the run sees it: from collated faces to a person (cluster) per face.

Faces that fail the quality gate are kept out of clustering; the rest are
linked into tracks and clustered on the chosen features.
"""

from dataclasses import dataclass

import numpy as np

from .clustering import UNCLUSTERED, FaceClusterUtility, landmark_features
from .tracks import link_tracks

FEATURES = ("encodings", "landmarks")
TRACK_DISTANCE = 0.4  # linked faces are a second apart with overlapping boxes: same person well within dlib's 0.6


@dataclass
class Assignment:
    """Per face (in collated order): its cluster (-1: none), its track, and why it was kept out ("" if not)."""

    clusters: np.ndarray
    tracks: list
    rejected: list

    @property
    def people(self):
        return len(set(self.clusters.tolist()) - {UNCLUSTERED})


def quality_problem(face, min_face=0, min_sharpness=0.0):
    """Why a face is too poor to cluster ("" if it is fine)."""
    top, right, bottom, left = face["box"]
    if min(right - left, bottom - top) < min_face:
        return f"small (under {min_face} px)"
    if face.get("sharpness", np.inf) < min_sharpness:
        return f"blurred (sharpness {face['sharpness']:.0f} under {min_sharpness:g})"
    return ""


def face_features(faces, kind="encodings"):
    if kind == "landmarks":
        return landmark_features([face["landmarks"] for face in faces])
    return np.array([face["encoding"] for face in faces]).reshape(-1, 128)


def assign_people(collated, settings, tracks=None):
    """Cluster the collated faces as `settings` (a run.Settings) asks.

    tracks: a track id per face, when the caller has linked them itself.
    """
    frames, faces = collated["frames"], collated["faces"]
    rejected = [quality_problem(face, settings.min_face, settings.min_sharpness) for face in faces]
    if not settings.tracks:
        tracks = list(range(len(faces)))
    elif tracks is None:
        tracks = link_tracks(frames, faces, TRACK_DISTANCE)
    keep = np.array([not reason for reason in rejected], dtype=bool)
    clusters = np.full(len(faces), UNCLUSTERED, dtype=int)
    if keep.any():
        kept = [face for face, ok in zip(faces, keep) if ok]
        clusters[keep] = FaceClusterUtility(
            settings.algorithm, settings.eps, settings.min_samples, settings.people, settings.pca, settings.jobs
        ).cluster(
            face_features(kept, settings.features),
            frames=[face["frame"] for face in kept],
            tracks=np.array(tracks)[keep],
        )
    return Assignment(clusters, tracks, rejected)
