"""What the encoder measures on each face of a frame: box, encoding, detector score, sharpness.

A `FaceEngine` is one detector (detectors.py) feeding one encoder
(encoders.py), configured once and loaded in the main process before the
worker processes fork, so every worker shares the loaded models. Models are
loaded only when a run needs them: importing face_recognition would load all
of dlib's, including the 100 MB 68-landmark model, at every start.
"""

from functools import lru_cache

import cv2
import numpy as np

from ..common.errors import UserError
from ..common.files import digest
from .detectors import make_detector
from .encoders import combination_problem, make_encoder
from .models import dlib_model_path

DEFAULT_DETECTOR = "yunet"
DEFAULT_ENCODER = "sface"


class FaceEngine:
    """A detector and an encoder, by the names the user gives them (--detector, --encoder).

    upsample: times a frame is enlarged 2x before detecting (None: the detector's default).
    models_dir: a folder of the user's own ONNX models (None: the installed ones).
    """

    def __init__(self, detector=DEFAULT_DETECTOR, encoder=DEFAULT_ENCODER, upsample=None, models_dir=None):
        problem = combination_problem(detector, encoder)
        if problem:
            raise UserError(problem)
        self.detector = make_detector(detector, upsample, models_dir)
        self.encoder = make_encoder(encoder, models_dir)

    def load(self):
        """Load both models now (a missing or corrupt model file ends here, with one sentence)."""
        self.detector.load()
        self.encoder.load()
        return self

    def settings(self):
        """What makes two runs' encodings comparable: engine names, upsample, and the model files' digests."""
        recorded = {"detector": self.detector.name, "encoder": self.encoder.name, "upsample": self.detector.upsample}
        # The model files' digests: encodings of two different models are never mixed in one work folder.
        models = {part.name: digest(part.path) for part in (self.detector, self.encoder) if hasattr(part, "path")}
        if models:
            recorded["models"] = models
        return recorded

    def measure(self, bgr):
        """Every face in a BGR image, as plain dicts ready to pickle."""
        detections = self.detector.detect(bgr)
        encodings = self.encoder.encode(bgr, detections)
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        return [
            {"box": tuple(box), "encoding": encoding, "score": float(score), "sharpness": sharpness(gray, box)}
            for box, score, encoding in zip(detections.boxes.tolist(), detections.scores.tolist(), encodings)
        ]


def sharpness(gray, box):
    """Variance of the Laplacian over the face: low means blurred."""
    top, right, bottom, left = box
    crop = gray[max(0, top):max(0, bottom), max(0, left):max(0, right)]
    return float(cv2.Laplacian(crop, cv2.CV_64F).var()) if crop.size else 0.0


@lru_cache(maxsize=None)
def _landmarks68_model():
    import dlib

    return dlib.shape_predictor(dlib_model_path("landmarks68"))


def landmarks_68(rgb, box):
    """The 68 facial landmarks (x, y) of a face, as an int array of shape (68, 2) (for --features landmarks)."""
    import dlib

    top, right, bottom, left = box
    shape = _landmarks68_model()(rgb, dlib.rectangle(left, top, right, bottom))
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.int32)


__all__ = ["FaceEngine", "DEFAULT_DETECTOR", "DEFAULT_ENCODER", "sharpness", "landmarks_68"]
