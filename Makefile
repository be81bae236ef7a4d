# `make run` and `make test` do all the set-up a fresh machine needs: the first
# call creates .venv and installs into it, later calls reuse it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test setup footage clean-venv

run: $(VENV)/.installed
	$(BIN)/python main.py $(ARGS)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(ARGS)

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps face_recognition==1.3.0
	$(BIN)/python -c "import face_recognition, cv2, dlib, pyPiper, sklearn, imutils, tqdm"
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Re-renders Footage.mp4 from public-domain portraits that ship inside the
# matplotlib and scikit-image wheels (only this target installs them).
footage: $(VENV)/.installed
	$(BIN)/pip install --quiet matplotlib==3.11.2 scikit-image==0.26.0
	$(BIN)/python tools/render_footage.py Footage.mp4

clean-venv:
	rm -rf $(VENV)
