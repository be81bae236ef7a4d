"""Face detectors, by the name the user picks with --detector: where the faces of a frame are.

    yunet  OpenCV's YuNet (a small CNN, int8): fast, finds turned, small and dim faces, gives 5 landmarks
    hog    dlib's HOG detector (the design card's): frontal faces only
    cnn    dlib's MMOD CNN detector: finds more faces than HOG, at many times its cost on a CPU

Every detector returns `Detections`; a new detector is a class with `detect` and one line in DETECTORS.
"""

from dataclasses import dataclass
from functools import cached_property
from typing import Optional

import cv2
import numpy as np

from ..common import boxes
from ..common.errors import UserError
from .models import dlib_model_path, onnx_model_path


@dataclass
class Detections:
    """The faces found in one frame, as columns.

    boxes: (N, 4) ints, (top, right, bottom, left) in the frame's pixels, clamped to it.
    scores: (N,) detector confidence (1.0 where the detector gives none).
    landmarks: (N, 5, 2) floats (x, y) -- right eye, left eye, nose tip, mouth corners -- or None.
    """

    boxes: np.ndarray
    scores: np.ndarray
    landmarks: Optional[np.ndarray] = None

    def __len__(self):
        return len(self.boxes)


class HogDetector:
    """dlib's HOG + linear SVM frontal face detector, as face_recognition.face_locations(model="hog") runs it.

    upsample: times the frame is enlarged 2x first; finds faces down to about 40 px / 2**upsample.
    """

    name = "hog"
    default_upsample = 1

    def __init__(self, upsample=None, models_dir=None):
        self.upsample = self.default_upsample if upsample is None else upsample

    @cached_property
    def _model(self):
        import dlib

        return dlib.get_frontal_face_detector()

    def load(self):
        self._model  # noqa: B018 -- loaded now, before worker processes fork, so they share it

    def detect(self, bgr):
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        rects = self._rects(rgb)
        found = [(r.top(), r.right(), r.bottom(), r.left()) for r in rects]
        return Detections(boxes.clamped(found, bgr.shape[1], bgr.shape[0]), np.ones(len(found)))

    def _rects(self, rgb):
        return list(self._model(rgb, self.upsample))


class CnnDetector(HogDetector):
    """dlib's MMOD CNN face detector (face_recognition's model="cnn")."""

    name = "cnn"

    @cached_property
    def _model(self):
        import dlib

        return dlib.cnn_face_detection_model_v1(dlib_model_path("cnn"))

    def _rects(self, rgb):
        return [d.rect for d in self._model(rgb, self.upsample)]


class YuNetDetector:
    """OpenCV's YuNet (cv2.FaceDetectorYN): boxes, scores and five landmarks per face.

    score_threshold: the least confidence a face needs. The fixture photo of dogs holds a "face" scored
        0.75; at 0.8 none is found there, while all 24 faces of bald_guys.jpg and 19 faces in the 10 sampled
        frames of the real clip (dlib's CNN: 13) still are (README, detector table).
    min_face: faces narrower than this many pixels are dropped: SFace sees a face at 112 px, and
        below about 12 px there is nothing left to encode.
    upsample: times the frame is enlarged 2x first, for faces under about 20 px.
    """

    name = "yunet"
    default_upsample = 0

    def __init__(self, upsample=None, models_dir=None, score_threshold=0.8, min_face=12):
        self.upsample = self.default_upsample if upsample is None else upsample
        self.path = onnx_model_path("yunet", models_dir)
        self.score_threshold = score_threshold
        self.min_face = min_face

    @cached_property
    def _model(self):
        try:
            return cv2.FaceDetectorYN.create(self.path, "", (320, 320), self.score_threshold, 0.3, 5000)
        except cv2.error as error:
            raise UserError(f"{self.path} is not a YuNet model OpenCV can load ({_first_line(error)}).") from None

    def load(self):
        self._model  # noqa: B018

    def detect(self, bgr):
        scale = 2 ** self.upsample
        image = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR) if scale > 1 else bgr
        self._model.setInputSize((image.shape[1], image.shape[0]))
        _, found = self._model.detect(image)
        found = np.zeros((0, 15), dtype=np.float32) if found is None else found / np.float32([scale] * 14 + [1])
        found = found[found[:, 2] >= self.min_face]
        return Detections(boxes.clamped(boxes.from_xywh(found[:, :4]), bgr.shape[1], bgr.shape[0]),
                          found[:, 14].astype(np.float64),
                          found[:, 4:14].reshape(-1, 5, 2).astype(np.float64))


def _first_line(error):
    return str(error).strip().splitlines()[-1][:160]


DETECTORS = {"yunet": YuNetDetector, "hog": HogDetector, "cnn": CnnDetector}


def make_detector(name, upsample=None, models_dir=None):
    """The detector called `name`, configured."""
    return DETECTORS[name](upsample=upsample, models_dir=models_dir)
