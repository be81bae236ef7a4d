"""The face engines on real faces: dlib's path makes face_recognition's calls; YuNet + SFace find and separate people."""

import itertools

import cv2
import face_recognition
import numpy as np
import pytest
from conftest import read_csv, run_main

from facecluster.encoding.faces import FaceEngine
from facecluster.sampling.frames import fit_within


def as_frame(image):
    """The image shrunk as FramesGenerator saves a frame (700x500 at most)."""
    width, height = fit_within(image.shape[1], image.shape[0], 700, 500)
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("photo, detector", [
    ("group/obama_and_biden.jpg", "hog"),
    ("group/two_people.jpg", "hog"),
    ("faces/obama/obama1.jpg", "cnn"),
])
def test_dlib_path_gives_face_recognitions_boxes_and_encodings(fixtures, photo, detector):
    bgr = cv2.resize(cv2.imread(str(fixtures / photo)), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    upsample = 1 if detector == "hog" else 0
    expected_boxes = face_recognition.face_locations(rgb, upsample, detector)
    faces = FaceEngine(detector, "dlib", upsample).load().measure(bgr)
    assert [f["box"] for f in faces] == [tuple(b) for b in expected_boxes] and faces
    expected = face_recognition.face_encodings(rgb, expected_boxes)
    assert np.allclose([f["encoding"] for f in faces], expected, atol=1e-6)


@pytest.mark.parametrize("photo, count", [
    ("two_people.jpg", 2), ("obama_and_biden.jpg", 3), ("bald_guys.jpg", 24), ("dogs_no_people.jpg", 0),
])
def test_yunet_finds_every_face_of_the_group_photos_and_none_on_the_dogs(fixtures, photo, count):
    faces = FaceEngine().load().measure(as_frame(cv2.imread(str(fixtures / "group" / photo))))
    assert len(faces) == count
    for face in faces:
        top, right, bottom, left = face["box"]
        assert 0 <= top < bottom and 0 <= left < right and face["score"] >= 0.8
        assert abs(np.linalg.norm(face["encoding"]) - 1) < 1e-6  # SFace encodings are unit length


def test_the_dogs_false_face_scores_under_yunets_threshold(fixtures):
    from facecluster.encoding.detectors import YuNetDetector

    dogs = as_frame(cv2.imread(str(fixtures / "group" / "dogs_no_people.jpg")))
    found = YuNetDetector(score_threshold=0.5).detect(dogs)
    assert len(found) == 1 and 0.7 < found.scores[0] < 0.8  # why the threshold is 0.8
    assert len(YuNetDetector().detect(dogs)) == 0


def test_yunet_finds_more_faces_in_the_real_clip_than_dlibs_cnn(fixtures):
    capture = cv2.VideoCapture(str(fixtures / "video" / "short_hamilton_clip.mp4"))
    frames, index = [], 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index == round(len(frames) * 30000 / 1001):  # one frame per second, as FramesGenerator samples
            frames.append(as_frame(frame))
        index += 1
    yunet, cnn = FaceEngine().load(), FaceEngine("cnn", "dlib", 0).load()
    found = {name: sum(len(engine.detector.detect(f)) for f in frames) for name, engine in (("yunet", yunet), ("cnn", cnn))}
    assert len(frames) == 10
    assert found["yunet"] >= found["cnn"] >= 10, found


def test_sface_separates_the_ten_fixture_people_with_a_wide_margin(fixtures):
    engine = FaceEngine().load()
    encodings = {}
    for photo in sorted((fixtures / "faces").glob("*/*.jpg")):
        faces = engine.measure(cv2.imread(str(photo)))
        assert len(faces) == 1, photo
        encodings.setdefault(photo.parent.name, []).append(faces[0]["encoding"])
    same = [np.linalg.norm(a - b) for faces in encodings.values() for a, b in itertools.combinations(faces, 2)]
    different = [np.linalg.norm(a - b) for p, q in itertools.combinations(encodings, 2)
                 for a in encodings[p] for b in encodings[q]]
    # Measured: largest same-person distance 0.928, smallest different-person 1.149; the default eps is 1.02.
    assert max(same) < 1.0 < min(different)


def test_a_blurred_face_is_less_sharp(fixtures):
    bgr = cv2.imread(str(fixtures / "group" / "two_people.jpg"))
    sharp = FaceEngine().load().measure(bgr)
    blurred = FaceEngine().load().measure(cv2.GaussianBlur(bgr, (0, 0), 2))
    assert len(sharp) == 2 and len(blurred) == 2
    assert all(b["sharpness"] < s["sharpness"] / 2 for s, b in zip(sharp, blurred))


def test_sface_without_yunet_is_refused_in_one_sentence(tmp_path, fixtures):
    result = run_main([fixtures / "group", "--detector", "hog", "--encoder", "sface"], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "main.py: --encoder sface aligns faces on YuNet's landmarks, which --detector hog does not give; "
        "use --detector yunet, or --encoder dlib (see --help).")
    assert not (tmp_path / "Encodings").exists()


@pytest.mark.parametrize("content, sentence", [
    (None, "has no file matching *sface*.onnx; it needs exactly one sface ONNX model."),
    (b"not an onnx model", "is not an SFace model OpenCV can load"),
])
def test_a_missing_or_corrupt_model_is_named_in_one_sentence(tmp_path, fixtures, content, sentence):
    from facecluster.encoding.models import onnx_model_path

    models = tmp_path / "models"
    models.mkdir()
    (models / "face_detection_yunet_2023mar.onnx").write_bytes(open(onnx_model_path("yunet"), "rb").read())
    if content is not None:
        (models / "face_recognition_sface_2021dec.onnx").write_bytes(content)
    result = run_main([fixtures / "group", "--models", models], cwd=tmp_path)
    assert result.returncode == 1
    assert sentence in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_your_own_models_folder_is_used_and_recorded(tmp_path, fixtures):
    from facecluster.encoding.models import onnx_model_path

    models = tmp_path / "models"
    models.mkdir()
    for name in ("yunet", "sface"):
        (models / f"my_{name}.onnx").write_bytes(open(onnx_model_path(name), "rb").read())
    result = run_main([fixtures / "group", "--models", models, "--workdir", tmp_path / "work"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(read_csv(tmp_path / "work" / "ClusteredFaces" / "faces.csv")) == 2 + 3 + 24
    # The same models from the bundled files are the same digests: the work folder accepts them.
    again = run_main([fixtures / "group", "--workdir", tmp_path / "work"], cwd=tmp_path)
    assert again.returncode == 0, again.stderr
