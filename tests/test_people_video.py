"""End to end on a video of the ten fixture people: right clusters, exact annotations, montages."""

import os
import pickle

import cv2
import numpy as np
import pytest
from conftest import PEOPLE, iou, read_csv, truth_person

from facecluster.common.errors import UserError
from facecluster.common.yolo import YoloBox
from facecluster.encoding.datastore import load_collated, load_pickle
from facecluster.encoding.faces import FaceEngine
from facecluster.review.evaluate import pairwise_score


@pytest.fixture(scope="module")
def faces(people_run, people_video):
    workdir, _ = people_run
    _, appearances = people_video
    rows = read_csv(workdir / "ClusteredFaces" / "faces.csv")
    for row in rows:
        box = tuple(int(row[k]) for k in ("top", "right", "bottom", "left"))
        row["person"] = truth_person(appearances, int(row["frame_index"]), box)
    return rows


def test_nearly_every_detection_is_a_face_the_video_shows_and_most_faces_are_found(faces, people_run, people_video):
    _, appearances = people_video
    false_detections = [row for row in faces if row["person"] is None]
    assert len(false_detections) <= 0.03 * len(faces)
    sampled = [int(r["frame_index"]) for r in read_csv(people_run[0] / "Frames" / "index.csv")]
    shown = sum(1 for index in sampled for a in appearances if a.face_at(index / (30000 / 1001)) is not None)
    assert len(faces) - len(false_detections) >= 0.9 * shown
    assert {row["person"] for row in faces} - {None} == set(PEOPLE)


def test_one_cluster_per_person_and_never_two_people_in_one(faces, people_run):
    # A detection on the background counts as a person of its own: joining anyone's cluster is an error.
    people = [r["person"] or f"not a face {r['face_id']}" for r in faces]
    score = pairwise_score(people, [int(r["cluster"]) for r in faces])
    print(f"pairwise precision {score.precision:.3f} recall {score.recall:.3f}")
    assert score.precision == 1.0
    assert score.recall >= 0.95
    clusters = {int(r["cluster"]) for r in faces if r["person"]} - {-1}
    assert len(clusters) == len(PEOPLE)
    assert f"{len(PEOPLE)} people" in people_run[1].stdout


def test_portraits_sit_in_their_cluster_folders(faces, people_run):
    workdir, _ = people_run
    for row in faces:
        folder = "Unclustered" if row["cluster"] == "-1" else f"Face_{row['cluster']}"
        assert row["portrait_path"].startswith(folder + "/")
        assert (workdir / "ClusteredFaces" / row["portrait_path"]).is_file()


def test_annotations_map_back_onto_the_detected_box(faces, people_run):
    workdir = people_run[0]
    for row in faces:
        portrait_path = workdir / "ClusteredFaces" / row["portrait_path"]
        lines = portrait_path.with_suffix(".txt").read_text().splitlines()
        assert len(lines) == 1
        annotation = YoloBox.parse(lines[0])
        assert annotation.class_id == 0
        assert all(0 <= v <= 1 for v in (annotation.x_center, annotation.y_center, annotation.width, annotation.height))
        # The portrait is the frame cropped 100 px left/right and 150 px above/below the face, clamped, then 400 px wide.
        top, right, bottom, left = (int(row[k]) for k in ("top", "right", "bottom", "left"))
        width, height = int(row["frame_width"]), int(row["frame_height"])
        crop_top, crop_left = max(0, top - 150), max(0, left - 100)
        crop_w, crop_h = min(width, right + 100) - crop_left, min(height, bottom + 150) - crop_top
        portrait = cv2.imread(str(portrait_path))
        assert portrait.shape[1] == 400
        assert abs(portrait.shape[0] - 400 * crop_h / crop_w) <= 1
        p_top, p_right, p_bottom, p_left = annotation.to_pixels(crop_w, crop_h)
        mapped = (p_top + crop_top, p_right + crop_left, p_bottom + crop_top, p_left + crop_left)
        assert np.allclose(mapped, (top, right, bottom, left), atol=1.0)


def test_annotations_frame_the_face_a_detector_sees_in_the_portrait(faces, people_run):
    workdir = people_run[0]
    detector = FaceEngine().load().detector
    for row in faces[::7]:
        path = workdir / "ClusteredFaces" / row["portrait_path"]
        portrait = cv2.imread(str(path))
        annotation = YoloBox.parse(path.with_suffix(".txt").read_text())
        expected = annotation.to_pixels(portrait.shape[1], portrait.shape[0])
        found = detector.detect(portrait).boxes.tolist()  # the detector that made the annotation
        assert max(iou(expected, box) for box in found) > 0.6


def test_montages_show_each_persons_faces_large_and_square(faces, people_run):
    workdir = people_run[0]
    folder = workdir / "ClusteredFaces" / "Montage"
    clusters = sorted({int(r["cluster"]) for r in faces} - {-1})
    assert sorted(os.listdir(folder)) == sorted([f"Face_{c}.jpg" for c in clusters] + [f"Face_{c}.face.jpg" for c in clusters])
    detector = FaceEngine().load().detector
    for cluster in clusters:
        count = min(25, sum(1 for r in faces if int(r["cluster"]) == cluster))
        montage = cv2.imread(str(folder / f"Face_{cluster}.jpg"))
        rows, columns = -(-count // 5), min(5, count)
        assert montage.shape == (rows * 112, columns * 112, 3)  # no rows of empty tiles
        tiles = [montage[r * 112:(r + 1) * 112, c * 112:(c + 1) * 112]
                 for r in range(rows) for c in range(columns)][:count]
        for tile in tiles + [cv2.imread(str(folder / f"Face_{cluster}.face.jpg"))]:
            found = detector.detect(tile).boxes
            assert len(found) >= 1  # the tile is the face, not the room around it
            top, right, bottom, left = found[0]
            assert bottom - top >= 112 * 0.5 and right - left >= 112 * 0.4  # and the face fills most of it


def test_frames_index_and_pickles_agree_with_faces_csv(faces, people_run):
    workdir = people_run[0]
    index = read_csv(workdir / "Frames" / "index.csv")
    assert len(index) == 49  # 49 s of video, one frame per second
    assert [int(r["frame_index"]) for r in index] == [round(k * 30000 / 1001) for k in range(49)]
    table = load_collated(workdir / "encodings.pickle")
    assert len(table) == len(faces) and table.encoder == "sface"
    assert [f.frame_path for f in table.frames] == [r["frame_path"] for r in index]
    assert [table.box(i) for i in range(len(table))] == [tuple(int(r[k]) for k in ("top", "right", "bottom", "left"))
                                                         for r in faces]
    assert len(list((workdir / "Encodings").glob("encodings_*.pickle"))) == 49


def test_a_foreign_pickle_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pickle"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(UserError, match="is not a pickle this program wrote"):
        load_pickle(path, "facecluster.frame/1")
    assert not marker.exists()
