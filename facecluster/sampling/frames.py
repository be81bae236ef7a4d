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
    read_csv_rows,
    remove_stale_temporaries,
    write_image,
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
        if os.path.isdir(self.source):
            yield from self._image_frames(list_images(self.source))
        elif is_image_file(self.source):
            yield from self._image_frames([self.source])
        else:
            yield from self._video_frames()

    def _open_video(self):
        capture = cv2.VideoCapture(self.source)
        if not capture.isOpened():
            capture.release()
            raise UserError(f"{self.source} is not a video OpenCV can read (unknown format or corrupt file).")
        return capture

    def _frame(self, number, video, frame_index, timestamp, size):
        frame_id, frame_path = WorkFolder.frame_file(self.name, number)
        return Frame(frame_id, video, frame_index, timestamp, frame_path, *size)

    def _save(self, frame, image):
        """Resize and write `image` unless an earlier run already saved this frame."""
        target = os.path.join(self.workdir, frame.frame_path)
        if os.path.exists(target):
            return
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if (image.shape[1], image.shape[0]) != (frame.width, frame.height):
            image = cv2.resize(image, (frame.width, frame.height), interpolation=cv2.INTER_AREA)
        write_image(target, image)

    def _exists(self, frame):
        return os.path.exists(os.path.join(self.workdir, frame.frame_path))

    def _video_frames(self):
        capture = self._open_video()
        fps = capture.get(cv2.CAP_PROP_FPS)
        size = fit_within(
            int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            self.max_width, self.max_height,
        )
        half_frame = 0.5 / fps if fps > 0 else 0.0
        claimed = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        index, sample = -1, 0
        try:
            # grab() walks the stream without colour conversion; only sampled
            # frames pay for retrieve().
            while capture.grab():
                index += 1
                position = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                timestamp = position if (position > 0 or index == 0 or fps <= 0) else index / fps
                if timestamp < sample * self.every - half_frame:
                    continue
                frame = self._frame(sample + 1, self.source, index, round(timestamp, 6), size)
                while sample * self.every - half_frame <= timestamp:
                    sample += 1
                if not self._exists(frame):
                    ok, image = capture.retrieve()
                    if not ok:
                        break
                    self._save(frame, image)
                yield frame
        finally:
            capture.release()
        if index < 0:
            raise UserError(f"{self.source} has no readable frames (an empty or corrupt video).")
        if claimed > 0 and index + 1 < claimed * 0.95:
            self.problems.append(
                f"{self.source} stopped at frame {index + 1} of the {claimed} its header promises "
                "(the file looks truncated); faces from the readable part were kept."
            )

    def _image_frames(self, paths):
        for position, path in enumerate(paths):
            image = cv2.imread(path, cv2.IMREAD_COLOR)
            if image is None:
                self.problems.append(f"{path} is not an image OpenCV can read; it was skipped.")
                continue
            size = fit_within(image.shape[1], image.shape[0], self.max_width, self.max_height)
            frame = self._frame(position + 1, path, position, None, size)
            self._save(frame, image)
            yield frame


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

