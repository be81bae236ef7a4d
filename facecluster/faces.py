"""What the encoder measures on each face of a frame: box, 128-d encoding, sharpness.

These are face_recognition's own calls (same dlib models, from
face_recognition_models), made directly on dlib: importing face_recognition
loads every model it has, including the CNN detector and the 100 MB
68-landmark model, which costs over a second at every start even when unused.
Here each model is loaded the first time it is needed, and all faces of a
frame are encoded in one dlib call.
"""

from functools import lru_cache

import cv2
import dlib
import numpy as np


@lru_cache(maxsize=None)
def model(name):
    """A dlib model by name, loaded once per process: hog, cnn, landmarks5, landmarks68, encoder."""
    import face_recognition_models as files

    if name == "hog":
        return dlib.get_frontal_face_detector()
    if name == "cnn":
        return dlib.cnn_face_detection_model_v1(files.cnn_face_detector_model_location())
    if name == "landmarks5":
        return dlib.shape_predictor(files.pose_predictor_five_point_model_location())
    if name == "landmarks68":
        return dlib.shape_predictor(files.pose_predictor_model_location())
    if name == "encoder":
        return dlib.face_recognition_model_v1(files.face_recognition_model_location())
    raise ValueError(f"unknown model {name!r}")


def load_models(detector):
    """Load what encoding needs now, so that worker processes forked later share it."""
    for name in (detector, "landmarks5", "encoder"):
        model(name)


def _rect(box):
    top, right, bottom, left = box
    return dlib.rectangle(left, top, right, bottom)


def detect_faces(rgb, detector="hog", upsample=1):
    """Face boxes as (top, right, bottom, left) tuples of ints, clamped to the image."""
    found = model(detector)(rgb, upsample)
    rects = [d.rect for d in found] if detector == "cnn" else list(found)
    height, width = rgb.shape[:2]
    return [(max(r.top(), 0), min(r.right(), width), min(r.bottom(), height), max(r.left(), 0)) for r in rects]


def encode_faces(rgb, boxes):
    """128-d encodings of all faces of one image, computed in one dlib call."""
    if not boxes:
        return []
    shapes = dlib.full_object_detections()
    for box in boxes:
        shapes.append(model("landmarks5")(rgb, _rect(box)))
    return [np.array(d) for d in model("encoder").compute_face_descriptor(rgb, shapes, 1)]


def landmarks_68(rgb, box):
    """The 68 facial landmarks (x, y) of a face, as an int array of shape (68, 2)."""
    shape = model("landmarks68")(rgb, _rect(box))
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.int32)


def sharpness(gray, box):
    """Variance of the Laplacian over the face: low means blurred."""
    top, right, bottom, left = box
    crop = gray[max(0, top):max(0, bottom), max(0, left):max(0, right)]
    return float(cv2.Laplacian(crop, cv2.CV_64F).var()) if crop.size else 0.0


def measure_faces(bgr, detector="hog", upsample=1):
    """Every face in a BGR image, as plain dicts ready to pickle."""
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    boxes = detect_faces(rgb, detector, upsample)
    return [
        {"box": box, "encoding": encoding, "sharpness": sharpness(gray, box)}
        for box, encoding in zip(boxes, encode_faces(rgb, boxes))
    ]
