"""What the encoder measures on each face of a frame: box, 128-d encoding, landmarks, sharpness."""

import cv2
import dlib
import numpy as np
from face_recognition import api as fr


def detect_faces(rgb, detector="hog", upsample=1):
    """Face boxes as (top, right, bottom, left) tuples of ints, clamped to the image."""
    return [tuple(int(v) for v in box) for box in fr.face_locations(rgb, upsample, detector)]


def _rect(box):
    top, right, bottom, left = box
    return dlib.rectangle(left, top, right, bottom)


def encode_faces(rgb, boxes):
    """128-d encodings of all faces of one image, computed in one dlib call."""
    if not boxes:
        return []
    shapes = dlib.full_object_detections()
    for box in boxes:
        shapes.append(fr.pose_predictor_5_point(rgb, _rect(box)))
    return [np.array(d) for d in fr.face_encoder.compute_face_descriptor(rgb, shapes, 1)]


def landmarks_68(rgb, box):
    """The 68 facial landmarks (x, y) of a face, as an int array of shape (68, 2)."""
    shape = fr.pose_predictor_68_point(rgb, _rect(box))
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
        {"box": box, "encoding": encoding, "landmarks": landmarks_68(rgb, box), "sharpness": sharpness(gray, box)}
        for box, encoding in zip(boxes, encode_faces(rgb, boxes))
    ]
