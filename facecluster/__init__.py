"""Turn raw footage into folders of face portraits grouped by person.

The card's stages, in the order a run goes through them (run.py wires them together for main.py):

    sampling/frames.py          1  FramesGenerator: one resized frame per second of video
    encoding/                   2  the pyPiper graph FramesProvider -> FaceEncoder -> DatastoreManager
        pipeline.py                 the graph and its worker processes (pyPiper's internals: pypiper_adapter.py)
        faces.py                    the face engine each worker runs: a detector and an encoder
        detectors.py, encoders.py   the choices of --detector and --encoder; models.py finds their files
        datastore.py            3  per-frame pickles, the restricted unpickler, PicklesListCollator
    clustering/                 4  FaceClusterUtility (algorithms.py), tracks.py, people.py (quality gate, tracks,
                                   the encoder's thresholds)
    output/portraits.py         5  FaceImageGenerator: portraits, YOLO annotations, montages
    output/clustered.py            the ClusteredFaces/ layout: written, and read back after a person's edits

The person's side, after a run:

    review/page.py                 ClusteredFaces/index.html
    review/incremental.py          new footage joins a folder a person has edited
    review/evaluate.py             `main.py evaluate`: scores against known identities
    export/                        `main.py export`: a YOLO dataset (one module per format)

Shared by all: common/ (FaceTable, box geometry, the work folder's paths, manifests, files, the one
user-facing exception). settings.py: a run's settings, one group per stage.
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
