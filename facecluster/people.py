"""Stage 4 as the run sees it: from collated faces to a person (cluster) per face.

Faces that fail the quality gate are kept out of clustering; the rest are
linked into tracks and clustered on the chosen features.
"""

import os
from dataclasses import dataclass

import cv2
import numpy as np

from . import boxes
from .clustering import UNCLUSTERED, FaceClusterUtility, landmark_features
from .encoders import ENCODERS
from .errors import UserError
from .faces import landmarks_68
from .tracks import link_tracks

FEATURES = ("encodings", "landmarks")
LEGACY_ENCODER = "dlib"  # encodings.pickle files written before the encoder was a choice hold dlib encodings


def encoder_of(collated):
    """The encoder (encoders.py) whose encodings `collated` holds; it gives every distance threshold's default."""
    return ENCODERS[collated.get("encoder", LEGACY_ENCODER)]


def eps_of(collated, settings):
    """The clustering threshold: the user's --eps, else the encoder's measured same-person distance."""
    return settings.eps if settings.eps is not None else encoder_of(collated).same_person


@dataclass
class Assignment:
    """Per face (in collated order): its cluster (-1: none), its track, why it was kept out ("" if not),
    and the features it was clustered on."""

    clusters: np.ndarray
    tracks: list
    rejected: list
    features: np.ndarray

    @property
    def people(self):
        return len(set(self.clusters.tolist()) - {UNCLUSTERED})


def quality_problem(face, min_face=0, min_sharpness=0.0):
    """Why a face is too poor to cluster ("" if it is fine)."""
    if min(boxes.size(face["box"])) < min_face:
        return f"small (under {min_face} px)"
    if face.get("sharpness", np.inf) < min_sharpness:
        return f"blurred (sharpness {face['sharpness']:.0f} under {min_sharpness:g})"
    return ""


def face_features(collated, kind="encodings", workdir="."):
    """One feature row per collated face: its encoding, or its normalized 68-landmark shape."""
    faces = collated["faces"]
    if kind == "landmarks":
        return landmark_features(landmarks_of(collated, workdir))
    return np.array([face["encoding"] for face in faces]).reshape(len(faces), -1)


def landmarks_of(collated, workdir="."):
    """The 68 landmarks of every collated face, reading each frame from disk once."""
    frames, faces = collated["frames"], collated["faces"]
    found = [None] * len(faces)
    by_frame = {}
    for i, face in enumerate(faces):
        by_frame.setdefault(face["frame"], []).append(i)
    for number, ids in by_frame.items():
        path = os.path.join(workdir, frames[number]["frame_path"])
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            raise UserError(f"{path} is missing or unreadable; landmarks are measured on the saved frames.")
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        for i in ids:
            found[i] = landmarks_68(rgb, faces[i]["box"])
    return found


def assign_people(collated, settings, tracks=None):
    """Cluster the collated faces as `settings` (a run.Settings) asks.

    tracks: a track id per face, when the caller has linked them itself.
    """
    frames, faces = collated["frames"], collated["faces"]
    rejected = [quality_problem(face, settings.min_face, settings.min_sharpness) for face in faces]
    if not settings.tracks:
        tracks = list(range(len(faces)))
    elif tracks is None:
        tracks = link_tracks(frames, faces, encoder_of(collated).track_distance)
    keep = np.array([not reason for reason in rejected], dtype=bool)
    features = face_features(collated, settings.features, settings.workdir)
    clusters = np.full(len(faces), UNCLUSTERED, dtype=int)
    if keep.any():
        clusters[keep] = FaceClusterUtility(
            settings.algorithm, eps_of(collated, settings), settings.min_samples, settings.people, settings.pca, settings.jobs
        ).cluster(
            features[keep],
            frames=[face["frame"] for face, ok in zip(faces, keep) if ok],
            tracks=np.array(tracks)[keep],
        )
    return Assignment(clusters, tracks, rejected, features)
