"""FramesGenerator: exactly one frame per step of video time, resized with aspect kept."""

import cv2
import pytest
from conftest import read_csv, run_main

from facecluster.sampling.frames import FramesGenerator, fit_within, write_index
from tools.scenes import NTSC_FPS, read_marker, render_video

MARKER_BLOCK = 16  # pixels per bit in the 1280x720 source


@pytest.fixture(scope="module")
def marked_video(tmp_path_factory):
    """5 s of 1280x720 at 29.97 fps; every frame carries its own number as a bar code."""
    path = tmp_path_factory.mktemp("marked") / "marked.mp4"
    count = render_video(str(path), [], duration=5.0, size=(1280, 720), fps=NTSC_FPS, marker=True)
    assert count == 150
    return path


def sample(video, workdir, every):
    generator = FramesGenerator(str(video), "marked", str(workdir), every=every)
    return list(generator)


@pytest.mark.parametrize("every, expected", [
    (1.0, [0, 30, 60, 90, 120]),
    (0.5, [0, 15, 30, 45, 60, 75, 90, 105, 120, 135]),
    (2.0, [0, 60, 120]),
])
def test_samples_the_frame_nearest_each_step_of_video_time(marked_video, tmp_path, every, expected):
    frames = sample(marked_video, tmp_path, every)
    assert [f.frame_index for f in frames] == expected
    # The container stores 29.97 fps to its own time base; timestamps agree with index / fps to the millisecond.
    assert [f.timestamp for f in frames] == pytest.approx([i / NTSC_FPS for i in expected], abs=0.001)
    scale = 700 / 1280
    for frame in frames:
        image = cv2.imread(str(tmp_path / frame.frame_path))
        assert read_marker(image, MARKER_BLOCK * scale) == frame.frame_index  # the saved pixels are that frame's


def test_frames_are_resized_with_aspect_kept_and_indexed(marked_video, tmp_path):
    frames = sample(marked_video, tmp_path, 1.0)
    assert {(f.width, f.height) for f in frames} == {(700, 394)}
    assert [f.frame_path for f in frames] == [f"Frames/marked/frame_{n:06d}.jpg" for n in range(1, 6)]
    assert cv2.imread(str(tmp_path / frames[0].frame_path)).shape == (394, 700, 3)
    write_index(str(tmp_path), frames)
    rows = read_csv(tmp_path / "Frames" / "index.csv")
    assert list(rows[0]) == ["frame_path", "video", "frame_index", "timestamp", "width", "height"]
    assert [(r["frame_index"], r["timestamp"], r["width"], r["height"]) for r in rows[:2]] == [
        ("0", "0.000", "700", "394"), ("30", "1.001", "700", "394")]


def test_fit_within_keeps_aspect_and_never_enlarges():
    assert fit_within(1920, 1080, 700, 500) == (700, 394)
    assert fit_within(1080, 1920, 700, 500) == (281, 500)
    assert fit_within(640, 360, 700, 500) == (640, 360)


def test_a_rerun_reuses_saved_frames_without_writing_them_again(marked_video, tmp_path):
    first = sample(marked_video, tmp_path, 1.0)
    stamps = [(tmp_path / f.frame_path).stat().st_mtime_ns for f in first]
    second = sample(marked_video, tmp_path, 1.0)
    assert second == first
    assert [(tmp_path / f.frame_path).stat().st_mtime_ns for f in second] == stamps


def test_a_folder_of_images_gives_one_frame_per_image(fixtures, tmp_path):
    frames = list(FramesGenerator(str(fixtures / "group"), "group", str(tmp_path)))
    assert [f.video.rsplit("/", 1)[1] for f in frames] == [
        "bald_guys.jpg", "dogs_no_people.jpg", "obama_and_biden.jpg", "two_people.jpg"]
    assert [f.frame_index for f in frames] == [0, 1, 2, 3]
    assert all(f.timestamp is None and f.width <= 700 and f.height <= 500 for f in frames)


def test_the_cli_samples_at_the_rate_asked(marked_video, tmp_path):
    result = run_main([marked_video, "--every", "0.5s"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "No faces found in 10 frames" in result.stdout
    rows = read_csv(tmp_path / "Frames" / "index.csv")
    assert [int(r["frame_index"]) for r in rows] == [round(k * 0.5 * NTSC_FPS) for k in range(10)]
    assert not (tmp_path / "ClusteredFaces").exists()
