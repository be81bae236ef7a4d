"""Turn raw footage into folders of face portraits grouped by person.

The stages, in the order a run goes through them:

    frames.py      FramesGenerator: one resized frame per second of video
    pipeline.py    FramesProvider -> FaceEncoder -> DatastoreManager (pyPiper)
    faces.py       the face engine each worker runs: a detector (detectors.py) and an encoder (encoders.py)
    datastore.py   per-frame pickles, the restricted unpickler, PicklesListCollator
    clustering.py  FaceClusterUtility (DBSCAN)
    portraits.py   FaceImageGenerator: portraits, YOLO annotations, montages, faces.csv
    run.py         the whole job, wired together for main.py
"""

import os as _os

# FFmpeg's own log lines ("moov atom not found", ...) would reach the user's
# terminal beside our one-sentence message; the pipeline reports bad input itself.
_os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
# OpenCV's own "[ WARN]" lines (e.g. that its new DNN engine ignores a target)
# explain nothing a user can act on; errors still reach us as exceptions.
_os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
# A dlib built against OpenBLAS (make fast-dlib) would start a BLAS thread per
# core in every worker; the workers already take one core each.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import cv2 as _cv2  # noqa: E402

# Worker processes are forked, and an OpenCV thread pool does not survive a
# fork (a child that touches it can hang). The workers already use every core,
# so OpenCV runs single-threaded everywhere in this program.
_cv2.setNumThreads(1)
_cv2.utils.logging.setLogLevel(_cv2.utils.logging.LOG_LEVEL_ERROR)
