"""faces.py makes face_recognition's calls directly on dlib: same boxes, same encodings."""

import cv2
import face_recognition
import numpy as np
import pytest

from facecluster.faces import detect_faces, encode_faces, measure_faces


@pytest.mark.parametrize("photo, detector", [
    ("group/obama_and_biden.jpg", "hog"),
    ("group/two_people.jpg", "hog"),
    ("faces/obama/obama1.jpg", "cnn"),
])
def test_same_faces_and_encodings_as_face_recognition(fixtures, photo, detector):
    bgr = cv2.imread(str(fixtures / photo))
    bgr = cv2.resize(bgr, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    expected_boxes = face_recognition.face_locations(rgb, 1 if detector == "hog" else 0, detector)
    boxes = detect_faces(rgb, detector, 1 if detector == "hog" else 0)
    assert boxes == [tuple(b) for b in expected_boxes] and boxes
    expected = face_recognition.face_encodings(rgb, expected_boxes)
    assert np.allclose(encode_faces(rgb, boxes), expected, atol=1e-6)


def test_a_blurred_face_is_less_sharp(fixtures):
    bgr = cv2.imread(str(fixtures / "group" / "two_people.jpg"))
    sharp = measure_faces(bgr)
    blurred = measure_faces(cv2.GaussianBlur(bgr, (0, 0), 2))
    assert len(sharp) == 2 and len(blurred) == 2
    assert all(b["sharpness"] < s["sharpness"] / 2 for s, b in zip(sharp, blurred))
