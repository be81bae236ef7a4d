"""Unit tests of the shared pieces: the face table, box geometry, the collator, the work-folder owner."""

import os

import cv2
import numpy as np
import pytest

from facecluster.common import boxes
from facecluster.common.errors import UserError
from facecluster.common.table import FaceTable
from facecluster.common.workfolder import WorkFolder
from facecluster.common.yolo import YoloBox, yolo_box
from facecluster.encoding.datastore import (
    FRAME_FORMAT,
    PicklesListCollator,
    frame_record,
    load_collated,
    save_pickle,
)
from facecluster.encoding.faces import FaceEngine
from facecluster.sampling.frames import Frame


def frame(n, video="clip.mp4"):
    return Frame(f"clip_{n:06d}", video, 30 * n, float(n), f"Frames/clip/frame_{n:06d}.jpg", 700, 394)


def face(box, value):
    return {"box": box, "encoding": np.full(128, value), "score": 0.9, "sharpness": 50.0 + value}


def test_face_table_columns_take_and_round_trip():
    table = FaceTable.from_frames([(frame(1), [face((10, 60, 70, 5), 0.1), face((20, 90, 80, 40), 0.2)]),
                                   (frame(2), []), (frame(3), [face((0, 50, 50, 0), 0.3)])], "sface")
    assert len(table) == 3 and table.frame.tolist() == [0, 0, 2] and table.boxes.shape == (3, 4)
    assert table.encodings.shape == (3, 128) and table.frame_of(2).frame_id == "clip_000003"
    assert table.box(1) == (20, 90, 80, 40) and table.faces_by_frame() == {0: [0, 1], 2: [2]}
    second = table.take([2, 0])
    assert second.frames == table.frames and second.box(0) == (0, 50, 50, 0)
    again = FaceTable.from_record(table.to_record())
    assert again.frames == table.frames and again.encoder == "sface"
    assert np.array_equal(again.encodings, table.encodings) and np.array_equal(again.boxes, table.boxes)


def test_an_encodings_pickle_of_the_older_format_still_loads(tmp_path):
    from dataclasses import asdict

    legacy = {"format": "facecluster.encodings/1", "frames": [asdict(frame(1))],
              "faces": [dict(face((1, 2, 3, 4), 0.5), frame=0)]}
    save_pickle(tmp_path / "encodings.pickle", legacy)
    table = load_collated(tmp_path / "encodings.pickle")
    assert table.encoder == "dlib" and table.box(0) == (1, 2, 3, 4) and table.encodings[0, 0] == 0.5


def test_box_geometry():
    a, b = (0, 10, 10, 0), (5, 15, 15, 5)
    assert boxes.overlap(a, b) and not boxes.overlap(a, (10, 20, 20, 10))
    assert boxes.iou(a, b) == pytest.approx(25 / 175) and boxes.iou(a, a) == 1.0
    assert boxes.size((10, 60, 70, 5)) == (55, 60)
    assert boxes.from_xywh([[5, 10, 55, 60]]).tolist() == [[10, 60, 70, 5]]
    assert boxes.clamped([[-3, 800, 500, -1]], 700, 394).tolist() == [[0, 700, 394, 0]]
    region = boxes.around((200, 300, 260, 250), 700, 394, 100, 150)
    assert region == (50, 400, 394, 150)
    assert boxes.relative_to((200, 300, 260, 250), region) == (150, 150, 210, 100)
    yolo = yolo_box(0, (200, 300, 260, 250), 700, 394)
    assert yolo.line() == "0 0.392857 0.583756 0.071429 0.152284"
    assert np.allclose(YoloBox.parse(yolo.line()).to_pixels(700, 394), (200, 300, 260, 250), atol=0.01)


def test_the_collator_merges_real_frames_in_order(fixtures, tmp_path):
    engine = FaceEngine().load()
    records = []
    for n, photo in enumerate(["group/two_people.jpg", "group/dogs_no_people.jpg", "faces/obama/obama1.jpg"], 1):
        faces = engine.measure(cv2.imread(str(fixtures / photo)))
        path = tmp_path / f"encodings_{n}.pickle"
        save_pickle(path, frame_record(vars(frame(n)), faces))
        records.append((path, faces))
    table = PicklesListCollator([p for p, _ in records], "sface", progress=False).collate(tmp_path / "all.pickle")
    assert len(table) == 2 + 0 + 1 and table.frame.tolist() == [0, 0, 2] and len(table.frames) == 3
    assert np.allclose(table.encodings, [f["encoding"] for _, faces in records for f in faces])
    assert table.box(2) == records[2][1][0]["box"]
    assert len(load_collated(tmp_path / "all.pickle")) == 3
    save_pickle(records[1][0], {"format": FRAME_FORMAT, "frame": {"not": "a frame"}, "faces": []})
    with pytest.raises(UserError, match="does not hold a frame as this program writes it"):
        PicklesListCollator([p for p, _ in records], "sface", progress=False).collate()


def test_the_work_folder_owns_every_path_and_forgets_only_its_own(tmp_path):
    folder = WorkFolder(tmp_path)
    frame_id, frame_path = WorkFolder.frame_file("day 1", 12)
    assert (frame_id, frame_path) == ("day 1_000012", "Frames/day 1/frame_000012.jpg")
    assert folder.frame_pickle(frame_id) == os.path.join(tmp_path, "Encodings", "encodings_day 1_000012.pickle")
    folder.prepare()
    for path in (folder / frame_path, folder.frame_pickle(frame_id), folder.settings, folder.collated,
                 folder / "Frames/day 1/mine.jpg", folder / "Encodings/notes.txt"):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").close()
    assert folder.frame_pickle_ids() == [frame_id]
    folder.forget_encodings()
    left = sorted(os.path.relpath(os.path.join(r, f), tmp_path) for r, _, fs in os.walk(tmp_path) for f in fs)
    assert left == ["Encodings/notes.txt", "Frames/day 1/mine.jpg"]
