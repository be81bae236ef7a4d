"""Bad input: one clear sentence on stderr, a non-zero exit, no traceback, nothing lost."""

import pickle
import shutil
import time

import pytest
from conftest import ROOT, read_csv, require_unshare, run_main


def assert_one_sentence(result, *fragments, code=1):
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].endswith("."), lines[0]
    for fragment in fragments:
        assert fragment in lines[0]


def test_missing_path(tmp_path):
    assert_one_sentence(run_main(["nowhere.mp4"], cwd=tmp_path), "nowhere.mp4 does not exist")


def test_empty_file(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    assert_one_sentence(run_main(["empty.mp4"], cwd=tmp_path), "empty.mp4 is empty (0 bytes)")


def test_a_file_that_is_not_a_video(tmp_path):
    (tmp_path / "notes.mp4").write_text("these are my notes, not a video\n" * 50)
    assert_one_sentence(run_main(["notes.mp4"], cwd=tmp_path), "notes.mp4 is not a video OpenCV can read")


def test_a_video_cut_short_before_its_index(tmp_path, people_video):
    data = people_video[0].read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])  # the mp4 index (moov) is at the end
    assert_one_sentence(run_main(["cut.mp4"], cwd=tmp_path), "cut.mp4 is not a video OpenCV can read")


def test_a_truncated_video_keeps_what_was_readable(tmp_path, people_video):
    import cv2

    reader = cv2.VideoCapture(str(people_video[0]))
    writer = cv2.VideoWriter(str(tmp_path / "whole.avi"), cv2.VideoWriter_fourcc(*"MJPG"), reader.get(cv2.CAP_PROP_FPS), (640, 360))
    for _ in range(240):
        writer.write(reader.read()[1])
    writer.release()
    data = (tmp_path / "whole.avi").read_bytes()
    (tmp_path / "cut.avi").write_bytes(data[: len(data) // 2])
    result = run_main(["cut.avi"], cwd=tmp_path)
    assert_one_sentence(result, "cut.avi stopped at frame", "of the 240", "truncated")
    assert read_csv(tmp_path / "ClusteredFaces" / "faces.csv")  # faces of the readable part are there


def test_a_video_with_no_faces_finishes_and_says_so(tmp_path):
    from tools.scenes import render_video

    render_video(str(tmp_path / "empty_room.mp4"), [], duration=3.0)
    result = run_main(["empty_room.mp4"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "No faces found in 3 frames; no clusters written." in result.stdout
    assert not (tmp_path / "ClusteredFaces").exists()


def test_an_empty_image_folder(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "readme.txt").write_text("no images here")
    assert_one_sentence(run_main(["photos"], cwd=tmp_path), "photos is a folder with no images in it")


def test_an_output_folder_that_cannot_be_written(tmp_path, fixtures):
    (tmp_path / "out").write_text("a file where the work folder should be")
    result = run_main([fixtures / "group" / "two_people.jpg", "--workdir", "out/run"], cwd=tmp_path)
    assert_one_sentence(result, "Cannot write to out/run")
    assert (tmp_path / "out").read_text() == "a file where the work folder should be"


@pytest.mark.parametrize("flags, message", [
    (["--eps", "-1"], "--eps: -1 is out of range: it must be greater than 0"),
    (["--workers", "0"], "--workers: 0 is out of range: it must be from 1 to 256"),
    (["--detector", "sift"], "--detector: invalid choice: 'sift'"),
    (["--every", "0s"], "--every: 0s is out of range"),
    (["--upsample", "many"], "--upsample: 'many' is not a whole number"),
    (["--min-samples", "0"], "--min-samples: 0 is out of range: it must be at least 1"),
])
def test_flag_values_out_of_range(tmp_path, flags, message):
    assert_one_sentence(run_main(["Footage.mp4", *flags], cwd=tmp_path), message, code=2)


@pytest.fixture
def encoded_run(tmp_path, fixtures):
    """A finished run on one group photo, to be damaged by the tests below."""
    shutil.copy(fixtures / "group" / "two_people.jpg", tmp_path / "two_people.jpg")
    result = run_main(["two_people.jpg"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path


def test_a_corrupt_pickle_in_encodings(encoded_run):
    target = encoded_run / "Encodings" / "encodings_two_people_000001.pickle"
    target.write_bytes(b"\x80\x05garbage that is not a pickle")
    before = sorted(p.name for p in encoded_run.rglob("*"))
    result = run_main(["two_people.jpg"], cwd=encoded_run)
    assert_one_sentence(result, "encodings_two_people_000001.pickle is not a pickle this program wrote")
    assert target.read_bytes() == b"\x80\x05garbage that is not a pickle"
    assert sorted(p.name for p in encoded_run.rglob("*")) == before


def test_a_foreign_pickle_in_encodings_is_refused_and_not_run(encoded_run):
    marker = encoded_run / "pwned"

    class Payload:
        def __reduce__(self):
            import os
            return (os.system, (f"touch {marker}",))

    target = encoded_run / "Encodings" / "encodings_two_people_000001.pickle"
    target.write_bytes(pickle.dumps(Payload()))
    result = run_main(["two_people.jpg"], cwd=encoded_run)
    assert_one_sentence(result, "refused type posix.system")
    assert not marker.exists()


def test_a_pickle_of_plain_data_that_is_not_ours(encoded_run):
    target = encoded_run / "Encodings" / "encodings_two_people_000001.pickle"
    target.write_bytes(pickle.dumps([{"imagePath": "x.jpg", "loc": (1, 2, 3, 4)}]))  # the seed's format
    assert_one_sentence(run_main(["two_people.jpg"], cwd=encoded_run), "is not a facecluster.frame/1 pickle")


@pytest.mark.parametrize("flags, sentence", [
    (["--upsample", "2"], "was made with upsample=0, not upsample=2"),
    (["--detector", "hog", "--encoder", "dlib"], "was made with detector=yunet, encoder=sface, upsample=0, "
                                                 "not detector=hog, encoder=dlib, upsample=1"),
])
def test_changed_settings_do_not_mix_with_earlier_encodings(encoded_run, flags, sentence):
    result = run_main(["two_people.jpg", *flags], cwd=encoded_run)
    assert_one_sentence(result, sentence, "--fresh")
    fresh = run_main(["two_people.jpg", *flags, "--fresh"], cwd=encoded_run)
    assert fresh.returncode == 0, fresh.stderr


def test_a_result_a_human_edited_is_never_overwritten(encoded_run):
    clustered = encoded_run / "ClusteredFaces"
    (clustered / "Unclustered").rename(clustered / "alice")
    again = run_main(["two_people.jpg"], cwd=encoded_run)
    assert again.returncode == 0, again.stderr
    assert "No new faces; ./ClusteredFaces/ keeps your edits as they are." in again.stdout
    assert (clustered / "alice").is_dir()
    result = run_main(["cluster", "--eps", "0.9"], cwd=encoded_run)
    assert_one_sentence(result, "ClusteredFaces has changed since this program wrote it", "--force")
    forced = run_main(["cluster", "--eps", "0.9", "--force"], cwd=encoded_run)
    assert forced.returncode == 0, forced.stderr
    aside = [p for p in encoded_run.iterdir() if p.name.startswith("ClusteredFaces.old-")]
    assert len(aside) == 1 and (aside[0] / "alice").is_dir()
    assert (clustered / "faces.csv").is_file()
    # Edited again and forced again, at once: a second set-aside folder, never the first one overwritten.
    (clustered / "Unclustered").rename(clustered / "bob")
    stamps = [time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() + k)) for k in range(0, 4)]
    for stamp in stamps:  # every name the next second or three could take is taken already
        (encoded_run / f"ClusteredFaces.old-{stamp}").mkdir(exist_ok=True)
        (encoded_run / f"ClusteredFaces.old-{stamp}" / f"kept-{stamp}.txt").write_text("an earlier set-aside")
    forced = run_main(["cluster", "--eps", "0.9", "--force"], cwd=encoded_run)
    assert forced.returncode == 0, forced.stderr
    assert len([p for p in encoded_run.iterdir() if (p / "bob").is_dir()]) == 1
    assert (aside[0] / "alice").is_dir()
    assert all((encoded_run / f"ClusteredFaces.old-{t}" / f"kept-{t}.txt").is_file() for t in stamps)


def test_leftovers_of_a_killed_swap_are_cleared_and_edited_results_kept(encoded_run):
    (encoded_run / "ClusteredFaces.partial-99999").mkdir()  # a staging folder a killed run left
    (encoded_run / "ClusteredFaces.replaced-99999").mkdir()  # an unedited old result a killed run left
    (encoded_run / "ClusteredFaces.old-20260101-000000").mkdir()  # a human's edited result, moved aside
    result = run_main(["cluster", "--eps", "0.9"], cwd=encoded_run)
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in encoded_run.iterdir() if p.name.startswith("ClusteredFaces"))
    assert names == ["ClusteredFaces", "ClusteredFaces.old-20260101-000000"]


@pytest.mark.parametrize("flags, sentence", [
    (["--eps", "nan"], "--eps: nan is not a finite number"),
    (["--eps", "inf"], "--eps: inf is not a finite number"),
    (["--every", "nan"], "--every: nan is not a finite number"),
    (["--every", "inf"], "--every: inf is not a finite number"),
])
def test_a_number_that_is_not_finite(tmp_path, flags, sentence):
    assert_one_sentence(run_main(["Footage.mp4", *flags], cwd=tmp_path), sentence, code=2)


def test_sampling_more_often_than_the_video_has_frames(tmp_path, fixtures):
    result = run_main([fixtures / "video" / "short_hamilton_clip.mp4", "--every", "1e-9"], cwd=tmp_path)
    assert_one_sentence(result, "--every 1e-09 is shorter than one frame of", "(0.0334 s at 29.97 fps); use at least that.")


def test_a_pickle_holding_nan_encodings(encoded_run):
    import numpy as np

    from facecluster.encoding.datastore import load_pickle, save_pickle

    target = encoded_run / "Encodings" / "encodings_two_people_000001.pickle"
    record = load_pickle(target, "facecluster.frame/1")
    record["faces"][0]["encoding"] = np.full(128, np.nan)
    save_pickle(target, record)
    assert_one_sentence(run_main(["two_people.jpg"], cwd=encoded_run), "does not hold a frame's faces as this program writes them")


def test_a_folder_where_an_encodings_file_should_be_is_named_even_with_fresh(encoded_run):
    folder = encoded_run / "Encodings" / "encodings_two_people_000002.pickle"
    folder.mkdir()
    for flags in ([], ["--fresh"]):
        result = run_main(["two_people.jpg", *flags], cwd=encoded_run)
        assert_one_sentence(result, f"{folder.relative_to(encoded_run)} is a folder, not a file this program wrote; "
                                    "move it out of the way.")
    assert folder.is_dir()


@pytest.mark.parametrize("truth, problem", [
    ({"faces": [{"video": "people.mp4", "frame_index": 0, "box": [1, 2, 3, 4]}]}, "face 0 has no str 'person'"),
    ({"faces": [{"video": "people.mp4", "frame_index": "0", "person": "a", "box": [1, 2, 3, 4]}]},
     "face 0 has no int 'frame_index'"),
    ({"faces": [{"video": "people.mp4", "frame_index": 0, "person": "a", "box": [1, 2]}]},
     "face 0 has no 'box' of four numbers"),
    ({"videos": {"people.mp4": {"width": "wide"}}, "faces": []}, "'videos' must map each video"),
    ({"face": []}, "it needs a 'faces' list"),
])
def test_a_truth_file_with_missing_keys_or_wrong_types(encoded_run, truth, problem):
    import json

    path = encoded_run / "truth.json"
    path.write_text(json.dumps(truth))
    result = run_main(["evaluate", "--truth", path], cwd=encoded_run)
    assert_one_sentence(result, "is not a truth file as the README describes: " + problem)


def test_two_runs_on_one_work_folder(encoded_run):
    from facecluster.common.workfolder import WorkFolder

    import os
    with WorkFolder(encoded_run).lock():
        result = run_main(["two_people.jpg"], cwd=encoded_run)
        assert_one_sentence(result, f"Another run (process {os.getpid()}) is using .; wait for it to finish")
    assert run_main(["two_people.jpg"], cwd=encoded_run).returncode == 0  # released with its holder


def test_new_files_get_the_mode_the_umask_asks_for(tmp_path, fixtures):
    import os
    import stat
    import subprocess
    import sys

    result = subprocess.run(["sh", "-c", f"umask 027 && {sys.executable} {ROOT / 'main.py'} {fixtures / 'group'} "
                                         "--no-progress"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == ""  # and no OpenCV [ WARN] lines either
    for path in (tmp_path / "encodings.pickle", tmp_path / "ClusteredFaces" / "faces.csv",
                 next((tmp_path / "Frames").rglob("*.jpg"))):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o640, path


def test_a_full_disk_is_one_sentence_and_keeps_what_was_finished(tmp_path):
    import subprocess
    import sys

    require_unshare()
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (f"mount -t tmpfs -o size=700k tmpfs {disk} && cd {disk} && "
              f"{sys.executable} {ROOT / 'main.py'} {ROOT / 'Footage.mp4'} --no-progress; echo exit=$?")
    result = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=300)
    assert "exit=1" in result.stdout, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "the disk is full" in lines[0] or "No space left on device" in lines[0], lines[0]
