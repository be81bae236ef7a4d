"""Stage 1: sample frames from footage and save them as JPEGs under Frames/.

A source is a video file, a single image, or a folder of images (each image is
one frame). Video is sampled at fixed steps of video time: sample k is the
frame nearest to t = k * every seconds, by the frame's own timestamp, so a
29.97 fps video gives frames 0, 30, 60, ... with no drift.
"""

import os
from dataclasses import asdict, dataclass
from typing import Optional

import cv2

from ..common.errors import UserError
from ..common.files import (
    csv_text,
    image_bytes,
    read_csv_rows,
    remove_stale_temporaries,
    write_bytes,
    write_text,
)
from ..common.workfolder import WorkFolder

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


@dataclass
class Frame:
    """One sampled frame, as saved under Frames/."""

    frame_id: str  # "<source name>_<sample number>", unique within a work folder
    video: str  # the source path as the user gave it (for image input: the image's path)
    frame_index: int  # 0-based frame number in the source video (image input: position in the folder)
    timestamp: Optional[float]  # seconds into the video (None for image input)
    frame_path: str  # the saved JPEG, relative to the work folder
    width: int
    height: int


def fit_within(width, height, max_width, max_height):
    """The size of (width, height) scaled down, aspect kept, to fit max_width x max_height."""
    scale = min(1.0, max_width / width, max_height / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def is_image_file(path):
    return os.path.splitext(path)[1].lower() in IMAGE_EXTENSIONS


def list_images(folder):
    """All image files below `folder`, sorted by path so runs are repeatable."""
    found, seen = [], set()
    for root, dirs, files in os.walk(folder, onerror=_raise_unreadable, followlinks=True):
        seen.add(os.path.realpath(root))
        dirs[:] = sorted(d for d in dirs if os.path.realpath(os.path.join(root, d)) not in seen)  # linked folders, no loops
        found.extend(os.path.join(root, f) for f in sorted(files) if is_image_file(f))
    return found


def _raise_unreadable(error):
    raise UserError(f"Cannot read the folder {error.filename}: {error.strerror.lower()}.")


class FramesGenerator:
    """Samples frames from one source and saves them; iterate it to get `Frame`s.

    Frames already saved by an earlier run (same settings) are not decoded into
    colour or written again; the video is still walked to find their positions.
    """

    def __init__(self, source, name, workdir=".", every=1.0, max_width=700, max_height=500):
        self.source = source
        self.name = name
        self.workdir = workdir
        self.every = every
        self.max_width = max_width
        self.max_height = max_height
        self.problems = []  # sentences about a source that was only partly readable

    @property
    def folder(self):
        return WorkFolder.frame_folder(self.name)

    def probe(self):
        """Check the source can be read; return an estimate of how many frames it gives."""
        if not os.path.exists(self.source):
            raise UserError(f"{self.source} does not exist.")
        if os.path.isdir(self.source):
            if not os.access(self.source, os.R_OK | os.X_OK):
                raise UserError(f"Cannot read the folder {self.source}: permission denied.")
            count = len(list_images(self.source))
            if count == 0:
                raise UserError(f"{self.source} is a folder with no images in it ({', '.join(sorted(IMAGE_EXTENSIONS))}).")
            return count
        if not os.access(self.source, os.R_OK):
            raise UserError(f"Cannot read {self.source}: permission denied.")
        if os.path.getsize(self.source) == 0:
            raise UserError(f"{self.source} is empty (0 bytes), not a video.")
        if is_image_file(self.source):
            if cv2.imread(self.source, cv2.IMREAD_REDUCED_GRAYSCALE_8) is None:
                raise UserError(f"{self.source} is not an image OpenCV can read.")
            return 1
        capture = self._open_video()
        fps = capture.get(cv2.CAP_PROP_FPS)
        count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
        capture.release()
        if fps > 0 and self.every < 1 / fps * 0.999:
            raise UserError(f"--every {self.every:g} is shorter than one frame of {self.source} "
                            f"({1 / fps:.4f} s at {fps:g} fps); use at least that.")
        if fps > 0 and count > 0:
            return int(count / fps / self.every) + 1
        return 1

    def __iter__(self):
        remove_stale_temporaries(os.path.join(self.workdir, self.folder))
        for frame, image in self.images(need=lambda frame: not self._exists(frame)):
            if image is not None:
                self._save(frame, image)
            yield frame

    def images(self, need=lambda frame: True, plan=None, to_the_end=False):
        """(Frame, BGR image) of each sampled frame, nothing written; a video frame's image is None where
        need(frame) is false (an image file is always read: its size comes from it).

        plan: only part of the source. For a video, PlannedFrames (from plan_samples), found by seeking
        near the first of them: the same frames, pixels and numbers as walking from the start. For images,
        their positions in the folder (a range).
        """
        if os.path.isdir(self.source):
            yield from self._images(list_images(self.source), plan)
        elif is_image_file(self.source):
            yield from self._images([self.source], plan)
        elif plan is None:
            yield from self._walk(need)
        else:
            yield from self._planned(need, plan, to_the_end)

    def _open_video(self):
        capture = cv2.VideoCapture(self.source)
        if not capture.isOpened():
            capture.release()
            raise UserError(f"{self.source} is not a video OpenCV can read (unknown format or corrupt file).")
        return capture

    def _video_size(self, capture):
        return fit_within(
            int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            self.max_width, self.max_height,
        )

    def _frame(self, number, video, frame_index, timestamp, size):
        frame_id, frame_path = WorkFolder.frame_file(self.name, number)
        return Frame(frame_id, video, frame_index, timestamp, frame_path, *size)

    def _save(self, frame, image):
        """Resize and write `image` unless an earlier run already saved this frame."""
        target = os.path.join(self.workdir, frame.frame_path)
        if os.path.exists(target):
            return
        os.makedirs(os.path.dirname(target), exist_ok=True)
        write_bytes(target, frame_jpeg(frame, image))

    def _exists(self, frame):
        return os.path.exists(os.path.join(self.workdir, frame.frame_path))

    def _walk(self, need, first=1, last=None):
        """Walk from the start, keeping samples `first` to `last` (None: to the end)."""
        capture = self._open_video()
        size = self._video_size(capture)
        sampler = Sampler(self.every, capture.get(cv2.CAP_PROP_FPS))
        claimed = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        index = -1
        try:
            # grab() walks the stream without colour conversion; only sampled
            # frames pay for retrieve().
            while capture.grab():
                index += 1
                timestamp = sampler.timestamp(index, capture.get(cv2.CAP_PROP_POS_MSEC))
                number = sampler.take(timestamp)
                if number is None or number < first:
                    continue
                if last is not None and number > last:
                    return
                frame = self._frame(number, self.source, index, round(timestamp, 6), size)
                image = None
                if need(frame):
                    ok, image = capture.retrieve()
                    if not ok:
                        break
                yield frame, image
        finally:
            capture.release()
        if index < 0:
            raise UserError(f"{self.source} has no readable frames (an empty or corrupt video).")
        problem = truncation_problem(self.source, index + 1, claimed)
        if problem:
            self.problems.append(problem)

    def _planned(self, need, plan, to_the_end):
        """to_the_end: the plan's last part of a video whose decoding may stop before its packets do (a
        truncated file): walk there from the start instead, and keep every sample from the plan's first on."""
        if not plan:
            return
        pending = list(plan)  # what is left to yield
        if not to_the_end:
            try:
                yield from self._seek_and_walk(need, pending)
                return
            except _OffPlan:
                pass  # it decodes otherwise than its packets promised (a damaged stretch): walk, as a local run
        yield from self._walk(need, pending[0].number, None if to_the_end else plan[-1].number)

    def _seek_and_walk(self, need, pending):
        """Seek near pending[0] and walk on, taking the pending PlannedFrames off the list as they come."""
        capture = self._open_video()
        size = self._video_size(capture)
        try:
            # A second early, so the first planned frame is not overshot; OpenCV seeks to the
            # keyframe before that and decodes forward.
            capture.set(cv2.CAP_PROP_POS_MSEC, max(0.0, pending[0].position - 1000.0))
            while pending and capture.grab():
                position = capture.get(cv2.CAP_PROP_POS_MSEC)
                if position < pending[0].position:
                    continue
                if position > pending[0].position:
                    raise _OffPlan()  # the planned frame never came
                planned = pending[0]
                frame = self._frame(planned.number, self.source, planned.index, planned.timestamp, size)
                image = None
                if need(frame):
                    ok, image = capture.retrieve()
                    if not ok:
                        raise _OffPlan()
                pending.pop(0)
                yield frame, image
            if pending:
                raise _OffPlan()
        finally:
            capture.release()

    def _images(self, paths, positions=None):
        for position, path in enumerate(paths):
            if positions is not None and position not in positions:
                continue
            image = cv2.imread(path, cv2.IMREAD_COLOR)
            if image is None:
                self.problems.append(f"{path} is not an image OpenCV can read; it was skipped.")
                continue
            size = fit_within(image.shape[1], image.shape[0], self.max_width, self.max_height)
            yield self._frame(position + 1, path, position, None, size), image


class Sampler:
    """Which frames of a video are samples: sample k is the first frame whose timestamp reaches
    k * every less half a frame. The walk from the start and the plan for Dask workers share this rule."""

    def __init__(self, every, fps):
        self.every = every
        self.fps = fps
        self.half_frame = 0.5 / fps if fps > 0 else 0.0
        self.next = 0  # 0-based number of the next sample to take

    def timestamp(self, index, position_ms):
        """Seconds into the video of frame `index`, from the position OpenCV reports (0 if it knows none)."""
        position = position_ms / 1000.0
        return position if (position > 0 or index == 0 or self.fps <= 0) else index / self.fps

    def take(self, timestamp):
        """The 1-based sample number of the frame at `timestamp`, or None if it is not a sample."""
        if timestamp < self.next * self.every - self.half_frame:
            return None
        number = self.next + 1
        while self.next * self.every - self.half_frame <= timestamp:
            self.next += 1
        return number


@dataclass(frozen=True)
class PlannedFrame:
    """A sample of a video located without decoding: its number, frame index and position."""

    number: int
    index: int
    position: float  # milliseconds, as OpenCV reports it while decoding
    timestamp: float  # seconds, as the Frame records it


class _OffPlan(Exception):
    pass


def plan_samples(source, every):
    """(every sample of a video as PlannedFrames, a truncation sentence or None), without decoding a frame.

    Reads the packets' presentation times (OpenCV's raw mode, about 50 times faster than decoding) and
    applies the Sampler to them in presentation order. Returns (None, None) when the times cannot place
    frames (missing or repeated ones): such a video is then walked from the start, in one piece.
    """
    capture = cv2.VideoCapture(source, cv2.CAP_FFMPEG, [cv2.CAP_PROP_FORMAT, -1])
    if not capture.isOpened():
        return None, None
    fps = capture.get(cv2.CAP_PROP_FPS)
    claimed = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    positions = []
    try:
        while capture.grab():
            positions.append(capture.get(cv2.CAP_PROP_POS_MSEC))
    finally:
        capture.release()
    positions.sort()
    if not positions or any(b <= a for a, b in zip(positions, positions[1:])):
        return None, None
    sampler = Sampler(every, fps)
    plan = []
    for index, position in enumerate(positions):
        timestamp = sampler.timestamp(index, position)
        number = sampler.take(timestamp)
        if number is not None:
            plan.append(PlannedFrame(number, index, position, round(timestamp, 6)))
    return plan, truncation_problem(source, len(positions), claimed)


def truncation_problem(source, frames_read, claimed):
    if claimed > 0 and frames_read < claimed * 0.95:
        return (f"{source} stopped at frame {frames_read} of the {claimed} its header promises "
                "(the file looks truncated); faces from the readable part were kept.")
    return None


def frame_jpeg(frame, image):
    """The bytes saved as Frames/.../frame_N.jpg: `image` resized to the frame's size."""
    if (image.shape[1], image.shape[0]) != (frame.width, frame.height):
        image = cv2.resize(image, (frame.width, frame.height), interpolation=cv2.INTER_AREA)
    return image_bytes(frame.frame_path, image)


def source_names(sources, contents=None, earlier=None):
    """A short, file-name-safe name per source, from its file or folder name, unique in the work folder.

    contents: per source, what identifies its content; earlier: {name: content} of sources earlier runs
    named. A source keeps the name its content had before; otherwise it takes the first name (clip,
    clip_2, ...) that neither this run nor an earlier one gave to other content.
    """
    contents = contents or [None] * len(sources)
    earlier = earlier or {}
    names, taken = [], set()
    for source, content in zip(sources, contents):
        stem = os.path.splitext(os.path.basename(os.path.normpath(source)))[0] or "frames"
        stem = "".join(c if c.isalnum() or c in "-." else "_" for c in stem)
        candidates = [stem] + [f"{stem}_{n}" for n in range(2, len(sources) + len(earlier) + 3)]
        same = [c for c in candidates if c not in taken and c in earlier and content is not None and earlier[c] == content]
        name = same[0] if same else next(c for c in candidates if c not in taken and c not in earlier)
        taken.add(name)
        names.append(name)
    return names


INDEX_COLUMNS = ["frame_path", "video", "frame_index", "timestamp", "width", "height"]


def write_index(workdir, frames):
    """Frames/index.csv: one row per sampled frame, in sampling order."""
    rows = [dict(asdict(f), timestamp="" if f.timestamp is None else f"{f.timestamp:.3f}") for f in frames]
    folder = WorkFolder(workdir)
    os.makedirs(folder.frames, exist_ok=True)
    write_text(folder.frames_index, csv_text(rows, INDEX_COLUMNS))


def read_index(workdir):
    """The rows of Frames/index.csv."""
    return read_csv_rows(WorkFolder(workdir).frames_index)

