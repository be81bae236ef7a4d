"""Speed and memory of the pipeline against the straightforward approach, measured in one run.

    .venv/bin/python bench/speed.py [--seconds 60] [--workers 2] [--memory 30,60,120]

Renders a 1280x720, 29.97 fps video of fixture faces (tests/data), then:
  decode-only       walk the video as FramesGenerator does (grab, retrieve sampled frames)
  read-all decode   cv2.VideoCapture.read() of every frame, as the baseline does
  detect+encode     one process, on the sampled frames, for the default engine (YuNet + SFace)
                    and for HOG + dlib (face_recognition's calls), alternated frame by frame
  baseline          the straightforward code a user would otherwise run, on the same cores:
                    read() every frame, write the sampled ones, and hand each to a pool of
                    --workers processes that detect (HOG) and encode (dlib) with face_recognition
  pipeline stage    the pyPiper graph with --workers N and the default engine, decoding
                    overlapped with encoding (in this process, as the baseline)
  main.py           the whole job as a user runs it, start-up to portraits, default engine
                    (and with --detector hog --encoder dlib, the design card's engine)
and prints throughputs in video-seconds per wall-second, ratios against the
baseline, how close the pipeline comes to max(decode, detect+encode / workers),
and peak memory. --memory renders 1920x1080 videos of the given lengths and
prints the pipeline's peak memory for each, to show it does not grow with length.
"""

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data"
sys.path.insert(0, str(ROOT))
from facecluster.encoding.faces import FaceEngine  # noqa: E402
from facecluster.sampling.frames import FramesGenerator, fit_within  # noqa: E402
from tools.scenes import Appearance, make_sprite, render_video  # noqa: E402


def render(path, seconds, size):
    """People walking across the frame, one to three at a time, for `seconds`."""
    rng = random.Random(3)
    photos = sorted((FIXTURES / "faces").glob("*/*.jpg"))
    scale = size[0] / 1280
    appearances = []
    for start in range(0, seconds, 4):
        for slot in range(rng.choice([1, 2, 3])):
            photo = rng.choice(photos)
            sprite = make_sprite(photo.parent.name, cv2.imread(str(photo)), face_width=int(rng.randint(100, 150) * scale))
            x = int(slot * size[0] / 3 + rng.randint(0, 60))
            y = rng.randint(0, max(0, size[1] - sprite.image.shape[0]))
            appearances.append(Appearance(sprite, start, start + 4, (x, y), (x + int(80 * scale), y)))
    render_video(str(path), appearances, duration=seconds, size=size)


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def decode_only(video, workdir):
    return len(list(FramesGenerator(str(video), "decode", str(workdir))))


def read_all(video):
    capture, count = cv2.VideoCapture(str(video)), 0
    while capture.read()[0]:
        count += 1
    return count


def detect_encode_per_frame(frame_paths):
    """Seconds per frame of detection + encoding, one process: {engine: (seconds, faces)}, alternated per frame."""
    engines = {"yunet+sface": FaceEngine().load(), "hog+dlib": FaceEngine("hog", "dlib").load()}
    spent, found = dict.fromkeys(engines, 0.0), dict.fromkeys(engines, 0)
    for path in frame_paths:
        image = cv2.imread(str(path))
        for name, engine in engines.items():
            start = time.perf_counter()
            found[name] += len(engine.measure(image))
            spent[name] += time.perf_counter() - start
    return {name: (spent[name] / len(frame_paths), found[name]) for name in engines}


def encoders_per_face(frame_paths):
    """Milliseconds per face of each encoder, on the faces YuNet finds: SFace on OpenCV's new DNN engine (the
    default), SFace on the classic engine, and dlib's ResNet (dlib-bin). One process, alternated frame by frame."""
    from facecluster.encoding.encoders import _blob, _yunet_row
    from facecluster.encoding.models import onnx_model_path

    engine = FaceEngine().load()
    dlib_engine = FaceEngine("yunet", "dlib").load()
    aligner, new_engine, input_name = engine.encoder._models
    classic = cv2.dnn.readNetFromONNX(onnx_model_path("sface"), engine=cv2.dnn.ENGINE_CLASSIC)
    spent, faces = {"sface, new engine": 0.0, "sface, classic engine": 0.0, "dlib": 0.0}, 0
    for path in frame_paths:
        image = cv2.imread(str(path))
        found = engine.detector.detect(image)
        if not len(found):
            continue
        blob = _blob([aligner.alignCrop(image, _yunet_row(b, p)) for b, p in zip(found.boxes, found.landmarks)])
        for name, run in (("sface, new engine", lambda: (new_engine.setInput(blob, input_name), new_engine.forward())),
                          ("sface, classic engine", lambda: (classic.setInput(blob), classic.forward())),
                          ("dlib", lambda: dlib_engine.encoder.encode(image, found))):
            start = time.perf_counter()
            run()
            spent[name] += time.perf_counter() - start
        faces += len(found)
    for name, seconds in spent.items():
        print(f"encoder {name:22s} {seconds / faces * 1000:7.1f} ms per face ({faces} faces)")


def _baseline_worker_start():
    global face_recognition
    import face_recognition


def _baseline_encode(path):
    rgb = face_recognition.load_image_file(path)
    boxes = face_recognition.face_locations(rgb, 1, "hog")
    return len(face_recognition.face_encodings(rgb, boxes))


def baseline(video, out, workers):
    """The straightforward code: read() every frame, write the sampled ones, and hand each as it is
    written to a pool of `workers` processes that detect and encode it with face_recognition."""
    import multiprocessing

    capture = cv2.VideoCapture(str(video))
    fps = capture.get(cv2.CAP_PROP_FPS)
    size = fit_within(int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)), 700, 500)
    index, sample, pending = -1, 0, []
    with multiprocessing.get_context("fork").Pool(workers, initializer=_baseline_worker_start) as pool:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            index += 1
            if index / fps >= sample - 0.5 / fps:
                path = out / f"frame_{sample:06d}.jpg"
                cv2.imwrite(str(path), cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
                pending.append(pool.apply_async(_baseline_encode, (str(path),)))
                sample += 1
        faces = sum(result.get() for result in pending)
    return len(pending), faces


def compare_detectors(frame_paths):
    """Seconds per frame and faces found by each detector setting, one worker."""
    from facecluster.encoding.detectors import make_detector

    images = [cv2.imread(str(p)) for p in frame_paths]
    for name, upsample in (("yunet", 0), ("hog", 0), ("hog", 1), ("cnn", 0), ("cnn", 1)):
        detector = make_detector(name, upsample)
        detector.detect(images[0])  # load the model outside the timing
        seconds, found = timed(lambda: sum(len(detector.detect(i)) for i in images))
        print(f"detector {name} upsample {upsample}: {seconds / len(images):7.3f} s per frame, "
              f"{found} faces in {len(images)} frames")


def pipeline_stage(video, workdir, workers):
    """The pipeline's frames-and-encodings stage with the default engine, in this process."""
    from facecluster.encoding.pipeline import encode_frames

    engine = FaceEngine().load()
    frames, _ = encode_frames([FramesGenerator(str(video), "stage", str(workdir))], str(workdir), set(), engine, workers)
    return len(frames)


def pipeline(video, workdir, workers, *flags):
    """main.py end to end; returns (wall seconds, faces found, peak RSS in MiB of its largest process).

    GNU time reports the largest resident size among main.py and the workers it waited for.
    """
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, str(ROOT / "main.py"), str(video),
                             "--workers", str(workers), "--no-progress", *flags], cwd=workdir, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    faces = int(result.stdout.split("Found ")[1].split(" face")[0])
    return wall, faces, int(result.stderr.strip().splitlines()[-1]) / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--memory", default="", help="comma-separated lengths in seconds of 1080p videos for the memory check")
    parser.add_argument("--video", help="use this video instead of rendering one")
    parser.add_argument("--detectors", type=int, default=0, metavar="FRAMES",
                        help="also time hog and cnn at upsample 0 and 1 on this many sampled frames")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="speed_"))
    video = Path(args.video).resolve() if args.video else folder / "bench_720p.mp4"
    if not args.video:
        render(video, args.seconds, (1280, 720))
    capture = cv2.VideoCapture(str(video))
    duration = capture.get(cv2.CAP_PROP_FRAME_COUNT) / capture.get(cv2.CAP_PROP_FPS)
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    capture.release()
    print(f"video: {video.name}, {size[0]}x{size[1]}, {duration:.1f} s; dlib {__import__('dlib').__version__}, "
          f"BLAS {'on' if __import__('dlib').DLIB_USE_BLAS else 'off'}; workers {args.workers}")

    (folder / "decode").mkdir()
    t_decode, sampled = timed(decode_only, video, folder / "decode")
    t_read_all, _ = timed(read_all, video)
    frames = sorted((folder / "decode" / "Frames" / "decode").glob("frame_*.jpg"))
    per_frame = detect_encode_per_frame(frames)
    (folder / "baseline").mkdir()
    t_base, (base_frames, base_faces) = timed(baseline, video, folder / "baseline", args.workers)
    (folder / "stage").mkdir()
    t_stage, _ = timed(pipeline_stage, video, folder / "stage", args.workers)
    (folder / "pipeline").mkdir()
    t_pipe, pipe_faces, peak = pipeline(video, folder / "pipeline", args.workers)
    (folder / "pipeline-dlib").mkdir()
    t_dlib, dlib_faces, _ = pipeline(video, folder / "pipeline-dlib", args.workers, "--detector", "hog", "--encoder", "dlib")

    rate = lambda seconds: duration / seconds  # noqa: E731
    t_encode = per_frame["yunet+sface"][0] * sampled
    cores = min(os.cpu_count(), args.workers + 1)  # the decoder in the main process shares the cores with the workers
    ideal = max(t_decode, t_encode / args.workers, (t_decode + t_encode) / cores)
    print(f"decode-only (grab, retrieve sampled)   {sampled / t_decode:8.1f} frames/s  {rate(t_decode):6.1f} video-s/s")
    print(f"decode, read() every frame             {'':8s}           {rate(t_read_all):6.1f} video-s/s")
    for name, (seconds, found) in per_frame.items():
        print(f"detect+encode {name:12s} one worker {seconds * 1000:8.1f} ms per frame ({found} faces)")
    ratio = per_frame["hog+dlib"][0] / per_frame["yunet+sface"][0]
    print(f"detect+encode yunet+sface / hog+dlib   {ratio:8.2f}x faster per frame")
    print(f"baseline ({args.workers} processes): frames + encodings {rate(t_base):8.2f} video-s/s, {t_base:.1f} s "
          f"({base_frames} frames, {base_faces} faces)")
    print(f"pipeline: frames + encodings           {rate(t_stage):14.2f} video-s/s, {t_stage:.1f} s ({sampled} frames)")
    print(f"pipeline / baseline throughput         {t_base / t_stage:8.2f}x")
    print(f"floor max(decode, encode / workers, (decode + encode) / cores) {ideal:5.1f} s; "
          f"pipeline {t_stage:.1f} s = {t_stage / ideal:.2f} x the floor")
    print(f"main.py end to end (start-up, clustering, portraits included)"
          f" {rate(t_pipe):6.2f} video-s/s, {t_pipe:.1f} s, {pipe_faces} faces; {t_base / t_pipe:.2f}x the baseline")
    print(f"main.py --detector hog --encoder dlib   {rate(t_dlib):6.2f} video-s/s, {t_dlib:.1f} s, {dlib_faces} faces; "
          f"{t_base / t_dlib:.2f}x the baseline")
    print(f"peak memory of main.py, largest process {peak:7.0f} MiB")
    if base_faces != dlib_faces:
        print(f"NOTE: faces differ: baseline {base_faces}, main.py hog+dlib {dlib_faces}")

    if args.detectors:
        compare_detectors(frames[: args.detectors])
        encoders_per_face(frames[: args.detectors])

    for seconds in [int(s) for s in args.memory.split(",") if s]:
        long_video = folder / f"memory_{seconds}s_1080p.mp4"
        render(long_video, seconds, (1920, 1080))
        (folder / f"memory_{seconds}").mkdir()
        t, found, rss = pipeline(long_video, folder / f"memory_{seconds}", args.workers)
        print(f"1080p {seconds:5d} s: {t:6.1f} s wall, {found} faces, peak memory {rss:6.0f} MiB (largest process)")
    print(f"work folders in {folder}")


if __name__ == "__main__":
    main()
