"""The cost of encoding through Dask on one machine, and how many workers a day of footage needs.

    .venv/bin/python bench/dask_speed.py [--seconds 120] [--workers 2] [--rounds 2]

Renders the 1280x720, 29.97 fps video of bench/speed.py (fixture faces walking by), then runs main.py
on it, in turn, each in a fresh work folder, --rounds times:
  local        main.py --workers N (the pyPiper graph in N worker processes)
  dask local   main.py --dask local:N (starts a LocalCluster of N one-thread worker processes itself)
  dask running main.py --dask tcp://... against a LocalCluster of N one-thread workers already running,
               as on a user's cluster (no cluster start-up in the figure)
checks that every run's faces.csv is identical to the first local run's, and prints each one's
throughput (video seconds per wall second) and its ratio to the local run. From the running
cluster's figure it works out what one worker process encodes per day, and how many worker
processes given hours of footage per day need, at one sampled frame per second. Those are
estimates from one machine: other machines, other footage (more faces per frame), and a network
between client and workers change them.
"""

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from speed import render  # noqa: E402


def run(video, workdir, *flags):
    """main.py end to end in a fresh work folder; (wall seconds, faces.csv text)."""
    workdir.mkdir()
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), str(video), "--no-progress", *flags],
                            cwd=workdir, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return wall, (workdir / "ClusteredFaces" / "faces.csv").read_text()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from distributed import LocalCluster

    folder = Path(tempfile.mkdtemp(prefix="dask_speed_"))
    video = folder / "bench_720p.mp4"
    render(video, args.seconds, (1280, 720))
    capture = cv2.VideoCapture(str(video))
    duration = capture.get(cv2.CAP_PROP_FRAME_COUNT) / capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    print(f"video: 1280x720, {duration:.1f} s; {args.workers} workers; {os.cpu_count()} cores")

    os.environ["PYTHONPATH"] = str(ROOT)  # the running cluster's workers import facecluster from here
    times = {"local": [], "dask local": [], "dask running": []}
    reference = None
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        for round_ in range(args.rounds):
            for name, flags in (("local", ["--workers", str(args.workers)]),
                                ("dask local", ["--dask", f"local:{args.workers}"]),
                                ("dask running", ["--dask", cluster.scheduler_address])):
                wall, faces = run(video, folder / f"{name.replace(' ', '_')}_{round_}", *flags)
                reference = reference or faces
                if faces != reference:
                    raise SystemExit(f"{name}: faces.csv differs from the local run's")
                times[name].append(wall)
    frames = int(duration) + 1
    local = min(times["local"])
    print("faces.csv identical in every run")
    for name, walls in times.items():
        best = min(walls)
        print(f"{name:13s} {duration / best:6.2f} video-s/s  best {best:6.2f} s  (runs: "
              f"{', '.join(f'{w:.2f}' for w in walls)})  throughput {local / best:5.2f}x the local run's")
    # One worker process's seconds per sampled frame, through Dask, start-up and clustering included.
    per_frame = min(times["dask running"]) * args.workers / frames
    per_day = 86400 / per_frame
    print(f"one Dask worker process: {per_frame:.3f} s per sampled frame, so {per_day / 3600:.0f} hours of video "
          "per day at one sampled frame per second")
    for hours in (24, 240, 2400):
        print(f"{hours:5d} hours of footage per day ({hours // 24:3d} cameras): "
              f"{math.ceil(hours * 3600 / per_day):4d} worker processes (one per core)")
    print(f"work folders in {folder}")


if __name__ == "__main__":
    main()
