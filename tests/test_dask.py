"""--dask: encoding on a Dask cluster gives what a local run gives, survives a dying worker, and says when
a worker cannot see the footage."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import FIXTURES, ROOT, require_unshare, run_main

CLIP = FIXTURES / "video" / "short_hamilton_clip.mp4"


def outputs(workdir):
    """What a run leaves that must not depend on where it encoded: faces, frames and their index."""
    frames = {p.relative_to(workdir).as_posix(): p.read_bytes() for p in (workdir / "Frames").rglob("*.jpg")}
    return (workdir / "ClusteredFaces" / "faces.csv").read_text(), (workdir / "Frames" / "index.csv").read_text(), frames


@pytest.fixture(scope="module")
def inputs(people_video, tmp_path_factory):
    """The real clip and the rendered people video, as two cameras of one run, two frames a second."""
    return [CLIP, people_video[0], "--every", "0.5"]


@pytest.fixture(scope="module")
def local_run(inputs, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("local")
    result = run_main([*inputs, "--workers", "2"], cwd=workdir)
    assert result.returncode == 0, result.stderr
    return workdir


@pytest.fixture
def cluster():
    """A LocalCluster of two one-thread worker processes, started here as a user's own scheduler would be."""
    from distributed import Client, LocalCluster

    os.environ["PYTHONPATH"] = str(ROOT)  # the workers import facecluster, as a user's would from the project
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = Client(cluster)
    yield cluster, client
    client.close()
    cluster.close()


def test_dask_local_gives_the_local_runs_faces_frames_and_index(inputs, local_run, tmp_path):
    result = run_main([*inputs, "--dask", "local:2", "--dask-part", "4"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Dask: 2 worker threads; dashboard at http" in result.stdout
    faces, index, frames = outputs(tmp_path)
    assert faces.count("\n") > 80 and "short_hamilton_clip" in faces and "people.mp4" in faces  # both videos
    assert (faces, index, frames) == outputs(local_run)


def test_a_worker_killed_mid_run_costs_only_its_task(inputs, local_run, tmp_path, cluster):
    from distributed.diagnostics.plugin import SchedulerPlugin

    cluster, client = cluster
    starts = []

    class Watch(SchedulerPlugin):
        def transition(self, key, start, finish, *args, **kwargs):
            starts.append((key, finish))

    cluster.scheduler.add_plugin(Watch())
    pids = client.run(os.getpid)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), *map(str, inputs), "--no-progress", "--dask",
         cluster.scheduler_address, "--dask-part", "2"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    encodings = tmp_path / "Encodings"
    deadline = time.time() + 300
    while process.poll() is None and time.time() < deadline and len(list(encodings.glob("*.pickle"))) < 8:
        time.sleep(0.01)
    assert process.poll() is None, "the run ended before a worker could be killed"
    victim = sorted(pids)[0]
    os.kill(pids[victim], signal.SIGKILL)
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    started = [key for key, finish in starts if finish == "processing"]
    rerun = {key for key in started if started.count(key) > 1}
    assert rerun, "no task was running on the killed worker, or it was not run again"
    assert outputs(tmp_path) == outputs(local_run)


def test_a_killed_run_resumes_on_dask_with_the_same_result(inputs, local_run, tmp_path, cluster):
    cluster, _ = cluster
    command = [sys.executable, str(ROOT / "main.py"), *map(str, inputs), "--no-progress", "--dask",
               cluster.scheduler_address, "--dask-part", "2"]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    encodings = tmp_path / "Encodings"
    while process.poll() is None and not (encodings.is_dir() and len(list(encodings.glob("*.pickle"))) >= 10):
        time.sleep(0.01)
    process.kill()
    process.wait()
    kept = len(list(encodings.glob("*.pickle")))
    assert 10 <= kept < 117, kept  # killed part-way
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert outputs(tmp_path) == outputs(local_run)


def test_a_video_the_workers_cannot_see_is_named_with_the_worker(tmp_path):
    from distributed import LocalCluster

    require_unshare()
    shared = tmp_path / "shared"
    shared.mkdir()
    shutil.copy(CLIP, shared / "camera1.mp4")
    workdir = tmp_path / "work"
    workdir.mkdir()
    with LocalCluster(n_workers=0, processes=True, dashboard_address=":0") as scheduler:
        # The worker's view of the machine has an empty folder where the footage is.
        hidden = f"mount -t tmpfs none {shared} && exec {sys.executable} -m distributed.cli.dask_worker " \
                 f"{scheduler.scheduler_address} --nthreads 1 --no-dashboard"
        worker = subprocess.Popen(["unshare", "-rm", "sh", "-c", hidden], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 120
            while not scheduler.scheduler.workers and time.time() < deadline:
                time.sleep(0.1)
            assert scheduler.scheduler.workers, "the worker did not start"
            result = run_main([shared / "camera1.mp4", "--dask", scheduler.scheduler_address], cwd=workdir)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("Dask worker tcp://"), lines[0]
    assert f"cannot find {shared / 'camera1.mp4'}" in lines[0], lines[0]
    assert not list((workdir / "Encodings").glob("*.pickle")) if (workdir / "Encodings").exists() else True


def test_a_task_whose_workers_keep_dying_stops_the_run_with_one_sentence_and_a_rerun_resumes(inputs, local_run, tmp_path):
    import dask
    from distributed import LocalCluster

    os.environ["PYTHONPATH"] = str(ROOT)
    # Dask gives a task up after this many deaths of workers running it (3 by default); 0 makes one enough.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        from distributed import Client

        with Client(cluster) as client:
            pids = client.run(os.getpid)
        command = [sys.executable, str(ROOT / "main.py"), *map(str, inputs), "--no-progress", "--dask",
                   cluster.scheduler_address, "--dask-part", "2"]
        process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        encodings = tmp_path / "Encodings"
        while process.poll() is None and len(list(encodings.glob("*.pickle"))) < 8:
            time.sleep(0.01)
        assert process.poll() is None, "the run ended before a worker could be killed"
        os.kill(pids[sorted(pids)[0]], signal.SIGKILL)
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 1, stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Dask gave up on "), stderr
        assert "died again and again" in lines[0] and "a rerun resumes" in lines[0], lines[0]
        assert ".mp4 (" in lines[0] and " s" in lines[0], lines[0]  # the video and the part's time
        kept = len(list(encodings.glob("*.pickle")))
        assert kept >= 8
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert outputs(tmp_path) == outputs(local_run)
