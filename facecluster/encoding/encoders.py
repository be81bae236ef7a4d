"""Face encoders, by the name the user picks with --encoder: a vector per face, close for one person.

    sface  OpenCV's SFace (int8): 128-d, unit length; needs YuNet's five landmarks to align a face
    dlib   dlib's ResNet (face_recognition's, the design card's): 128-d; works with any detector's boxes

Each encoder has its own distance scale, so every threshold that reads distances
(clustering --eps, tracks, incremental matching, --suggest-eps) takes its
defaults from the encoder: `same_person` is the clustering threshold measured
for it, `track_distance` the one for linking a face to the next sampled frame.
A new encoder is a class with `encode` and those numbers, and one line in ENCODERS.
"""

from functools import cached_property

import cv2
import numpy as np

from ..common.errors import UserError
from .models import dlib_model_path, onnx_model_path


class DlibEncoder:
    """dlib's face_recognition_model_v1 on faces aligned by the 5-point shape predictor.

    One person's faces lie within about 0.6 of each other. The clustering
    default (0.45 for Chinese whispers) and the track distance (0.4) come from
    the fixture photos and lfw_dev (README).
    """

    name = "dlib"
    dimension = 128
    same_person = 0.45
    track_distance = 0.4
    eps_range = (0.30, 0.65)
    merge_distance = 0.55  # review suggestions (review/suggest.py); not measured on lfw_dev for dlib
    ask_within = 0.65  # the review app asks 'same person?' up to this RMS distance; not measured for dlib
    doubtful_distance = 0.6

    def __init__(self, models_dir=None):
        pass

    @staticmethod
    def works_with(detector):
        """True if faces found by the detector of this name can be encoded."""
        return True

    @cached_property
    def _models(self):
        import dlib

        return (dlib.shape_predictor(dlib_model_path("landmarks5")),
                dlib.face_recognition_model_v1(dlib_model_path("encoder")))

    def load(self):
        self._models  # noqa: B018 -- loaded now, before worker processes fork, so they share it

    def encode(self, bgr, detections):
        """(N, 128) encodings, all faces of the frame in one dlib call."""
        import dlib

        if not len(detections):
            return np.zeros((0, self.dimension))
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        shape_predictor, network = self._models
        shapes = dlib.full_object_detections()
        for top, right, bottom, left in detections.boxes.tolist():
            shapes.append(shape_predictor(rgb, dlib.rectangle(left, top, right, bottom)))
        return np.array([np.array(d) for d in network.compute_face_descriptor(rgb, shapes, 1)])


class SFaceEncoder:
    """OpenCV's SFace on faces aligned to 112x112 by cv2.FaceRecognizerSF.alignCrop, normalised to unit length.

    Unit-length encodings of one person lie within about 1.1 of each other.
    Measured on lfw_dev (300 people, bench/cluster_quality.py), Chinese
    whispers keeps pairwise precision at 1.000 from 0.95 up to 1.03 and joins
    people from 1.05 on; 1.02 is the least that reaches recall 0.97 there,
    and keeps that margin below the point where people are joined (README).
    """

    name = "sface"
    dimension = 128
    same_person = 1.02
    # bench/track_distance.py on the ten-people video and Footage.mp4: faces of one person in consecutive
    # sampled frames were at most 0.512 apart, two people with overlapping boxes at least 1.217.
    track_distance = 0.9
    eps_range = (0.80, 1.20)
    # Review suggestions (review/suggest.py), measured on lfw_dev by bench/review_quality.py: at 1.1, 12 of 13
    # true merges and no false one; at 1.15, all of 50 misplaced faces and 4 false flags.
    merge_distance = 1.1
    # The review app asks "same person?" of folders (and of a lone face against a folder) up to this root-mean-square
    # distance between their faces: on lfw_dev, two halves of one person's photos were at most 1.126 apart and a
    # photo at most 1.120 from the rest of its person; beyond 1.2 two folders are clearly two people.
    ask_within = 1.2
    doubtful_distance = 1.15

    def __init__(self, models_dir=None):
        self.path = onnx_model_path("sface", models_dir)

    @staticmethod
    def works_with(detector):
        return detector == "yunet"  # alignment needs YuNet's five landmarks

    @cached_property
    def _models(self):
        try:
            aligner = cv2.FaceRecognizerSF.create(self.path, "")
            network, input_name = _runnable_network(self.path)
        except cv2.error as error:
            reason = str(error).strip().splitlines()[-1][:160]
            raise UserError(f"{self.path} is not an SFace model OpenCV can load ({reason}).") from None
        return aligner, network, input_name

    def load(self):
        self._models  # noqa: B018

    def encode(self, bgr, detections):
        """(N, 128) unit-length encodings, all faces of the frame in one forward pass."""
        if not len(detections):
            return np.zeros((0, self.dimension))
        aligner, network, input_name = self._models
        crops = [aligner.alignCrop(bgr, _yunet_row(box, points)) for box, points in zip(detections.boxes, detections.landmarks)]
        network.setInput(_blob(crops), input_name)
        encodings = network.forward().reshape(len(crops), -1).astype(np.float64)
        return encodings / np.maximum(np.linalg.norm(encodings, axis=1, keepdims=True), 1e-12)


def _blob(crops):
    return cv2.dnn.blobFromImages(crops, 1.0, (112, 112), (0, 0, 0), swapRB=True, crop=False)


def _runnable_network(path):
    """SFace on OpenCV's new DNN engine if it runs the file, else on the classic one; and the input's name.

    The new engine runs the bundled int8 file at about twice the speed of the
    classic one (bench/speed.py), with the same encodings to 1e-5, but only
    when the input is named (the file also lists its weights as inputs).
    """
    probe = _blob([np.zeros((112, 112, 3), np.uint8)])
    tries = [(cv2.dnn.ENGINE_NEW, "data"), (cv2.dnn.ENGINE_CLASSIC, "")] if hasattr(cv2.dnn, "ENGINE_NEW") else [(None, "")]
    for engine, input_name in tries:
        try:
            network = cv2.dnn.readNetFromONNX(path, **({} if engine is None else {"engine": engine}))
            network.setInput(probe, input_name)
            network.forward()
            return network, input_name
        except cv2.error as error:
            failure = error
    raise failure


def _yunet_row(box, landmarks):
    """The 15-number face row alignCrop reads (x, y, w, h, 5 landmarks, score); it uses only the landmarks."""
    top, right, bottom, left = box
    return np.float32([left, top, right - left, bottom - top, *np.asarray(landmarks).ravel(), 1.0])


ENCODERS = {"sface": SFaceEncoder, "dlib": DlibEncoder}


def make_encoder(name, models_dir=None):
    """The encoder called `name`, configured."""
    return ENCODERS[name](models_dir=models_dir)


def combination_problem(detector, encoder):
    """The sentence saying why the detector named `detector` cannot feed encoder `encoder`, or None."""
    if ENCODERS[encoder].works_with(detector):
        return None
    return (f"--encoder {encoder} aligns faces on YuNet's landmarks, which --detector {detector} does not give; "
            "use --detector yunet, or --encoder dlib.")
