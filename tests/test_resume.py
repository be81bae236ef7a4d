"""A run killed mid-way (SIGKILL, no clean-up) resumes: nothing encoded twice, same result."""

import os
import signal
import subprocess
import sys
import time

from conftest import ROOT, read_csv, run_main


def pickles(workdir):
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (workdir / "Encodings").glob("encodings_*.pickle")}


def test_killed_run_resumes_without_encoding_a_frame_twice(tmp_path, people_video, people_run):
    video = people_video[0]
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), str(video), "--workers", "2", "--no-progress"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.time() + 300
    while len(pickles(tmp_path)) < 12 and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the main process and its workers, as a crash would
    process.wait()
    time.sleep(1.5)  # let any straggler notice; none may write after this point
    before = pickles(tmp_path)
    assert 12 <= len(before) < 49, "the run was not killed mid-way"
    assert not (tmp_path / "ClusteredFaces").exists()

    result = run_main([video, "--workers", "2"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    after = pickles(tmp_path)
    assert len(after) == 49
    assert {name: after[name] for name in before} == before  # finished frames were not encoded again
    assert not [p for p in (tmp_path / "Encodings").iterdir() if p.name.startswith(".")]  # no half-written files left

    uninterrupted = people_run[0]
    assert (tmp_path / "ClusteredFaces" / "faces.csv").read_text() == (uninterrupted / "ClusteredFaces" / "faces.csv").read_text()
    assert (tmp_path / "Frames" / "index.csv").read_text() == (uninterrupted / "Frames" / "index.csv").read_text()


def test_rerun_after_a_finished_run_encodes_nothing_and_keeps_an_unedited_result(tmp_path, people_video):
    video = people_video[0]
    clip = tmp_path / "short.mp4"
    # A 10 s excerpt keeps this quick: the same people video, cut with OpenCV.
    import cv2

    reader = cv2.VideoCapture(str(video))
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), reader.get(cv2.CAP_PROP_FPS), (640, 360))
    for _ in range(300):
        ok, frame = reader.read()
        writer.write(frame)
    writer.release()
    first = run_main([clip], cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    encoded = pickles(tmp_path)
    second = run_main([clip], cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert pickles(tmp_path) == encoded
    assert second.stdout == first.stdout
    assert read_csv(tmp_path / "ClusteredFaces" / "faces.csv")


def test_killed_again_and_again_while_adding_to_an_edited_folder_ends_as_an_uninterrupted_run(tmp_path, people_video):
    """Kill -9 while new faces are staged, when their journal appears, and while they move in."""
    import shutil

    from test_incremental import CUT, cut, snapshot

    base = tmp_path / "base"
    base.mkdir()
    cut(people_video[0], base / "first.avi", 0, CUT)
    cut(people_video[0], base / "second.avi", CUT, 10_000)
    assert run_main(["first.avi"], cwd=base).returncode == 0
    (base / "ClusteredFaces" / "Face_0").rename(base / "ClusteredFaces" / "alice")  # the person's edit
    for name in ("calm", "killed"):
        shutil.copytree(base, tmp_path / name)
    calm, killed = tmp_path / "calm", tmp_path / "killed"
    result = run_main(["second.avi"], cwd=calm)
    assert result.returncode == 0 and "which keeps your edits" in result.stdout, result.stderr

    staging = killed / "ClusteredFaces.adding"
    triggers = [lambda: staging.is_dir(), lambda: staging.is_dir() and len(list(staging.rglob("*.jpg"))) >= 10,
                lambda: (staging / ".journal").exists(), lambda: (staging / ".journal").exists()
                and len(list(staging.rglob("*.jpg"))) < 20]
    kills = 0

    def fired(trigger):
        try:
            return trigger()
        except FileNotFoundError:  # the staging folder went away between two looks: the run is moving it in
            return False

    for trigger in triggers:
        process = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "second.avi", "--no-progress"], cwd=killed,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 300
        while process.poll() is None and not fired(trigger) and time.time() < deadline:
            time.sleep(0.002)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            kills += 1
        process.wait()
    print(f"killed {kills} times while adding")
    assert kills >= 2, "the runs ended before they could be killed while adding"
    result = run_main(["second.avi"], cwd=killed)
    assert result.returncode == 0, result.stderr
    assert not staging.exists()
    assert snapshot(killed / "ClusteredFaces") == snapshot(calm / "ClusteredFaces")
