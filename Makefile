# Two commands for everything:  make lab  (open the course)  and  make test  (run every test).
# Both create, or reuse, one virtual environment in .venv with the versions in constraints.txt.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8888
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
IPYW7 := .venv-ipyw7
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# PyTorch's generic CPU code path (no AVX2/AVX-512 kernels): compared outputs must not depend on it.
GENERIC_CPU := ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41
# Every front-end file the built pages load (site, slide decks): npm ci in tools/web-assets.
WEB_ASSETS := tools/web-assets/node_modules/.package-lock.json
NPM_CI := npm ci --prefix tools/web-assets --ignore-scripts --no-audit --no-fund

.PHONY: lab test venv data lint unit notebooks browser widgets7 execute clean slides student web-assets site

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python >= 3.10 is needed, this is " + sys.version.split()[0]'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -c constraints.txt -e ".[lab,test,site]"
	$(PY) tools/rise_widgets.py
	touch $(STAMP)

data: $(STAMP)
	$(PY) -m course_utils.data

lab: $(STAMP)
	$(PY) -m jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 --port=$(PORT) $(ROOT_FLAG)

lint: $(STAMP)
	$(PY) -m ruff check course_utils tests tools benchmarks notebooks conftest.py

unit: $(STAMP) data
	$(PY) -m pytest tests

notebooks: $(STAMP)
	$(PY) -m pytest $(NBVAL) notebooks

browser: $(STAMP) data $(WEB_ASSETS)
	tools/ensure_chromium.sh
	$(PY) -m pytest tests/browser

# The explorers once more, with ipywidgets 7.7 (what Colab runs) in a small overlay environment.
WIDGETS7 := tools/ipywidgets7_env.sh && COURSE_EXPECT_IPYWIDGETS=7 $(IPYW7)/bin/python -m pytest tests/widgets_compat
widgets7: $(STAMP)
	$(WIDGETS7)

# Everything, each notebook run as few times as its checks need, on both cores, in two steps of
# two lanes each (tools/side_by_side.sh):
#   1. nbval over notebook 07, which trains the model that every later run of 07 reuses, then
#      nbval again over every notebook on PyTorch's generic CPU path (07 reuses that model);
#      beside them, npm installs the pages' assets (tools/web-assets), the unit tests run, then
#      the explorers' kernel side under ipywidgets 7.7 (Colab's);
#   2. the browser tests of the explorers in JupyterLab, the site, the decks and the networks in
#      the page; beside them, each notebook in JupyterLab (Run All, its outputs compared with the
#      saved ones as nbval compares them, its explorers, every section again and each exercise
#      with its solution), two as RISE slideshows, and the explorers in Notebook 7.
# Nothing in step 1's second lane needs the trained model; everything in step 2 may.
# Browser tests run in pytests of their own (named beside tests/, pytest drops tests/browser).
# `make test NB=notebooks/03-....ipynb`: that notebook's checks only (see CONTRIBUTING.md).
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
TRAINS := notebooks/07-mnist-convnet.ipynb
LANE_B_BROWSER := tests/browser/test_notebooks_in_lab.py tests/browser/test_slides.py \
  tests/browser/test_explorers_in_notebook7.py
# One notebook's browser tests, chosen by its name (-k): JupyterLab, its slideshow, its deck.
NB_BROWSER := $(LANE_B_BROWSER) tests/browser/test_decks.py tests/browser/test_network_in_page.py
# Side by side, each pytest's kernels would spin on a core another lane needs: PyTorch's OpenMP
# threads, once done, wait asleep (OMP_WAIT_POLICY=PASSIVE; the numbers are the same). Measured
# beside the generic pass, notebook 07 in JupyterLab took 60 s with spinning threads, 35 s without.
test: export OMP_WAIT_POLICY := PASSIVE
ifeq ($(origin NB),command line)
test: $(STAMP) data lint $(WEB_ASSETS)
	tools/ensure_chromium.sh
	$(PY) -m pytest $(NBVAL) $(NB)
	tools/side_by_side.sh "$(GENERIC_CPU) $(PY) -m pytest $(NBVAL) $(NB)" \
	  "$(PY) -m pytest $(NB_BROWSER) -k '$(basename $(notdir $(NB)))'"
else
test: $(STAMP) data lint
	tools/ensure_chromium.sh
	tools/side_by_side.sh \
	  "$(PY) -m pytest $(NBVAL) $(TRAINS) && $(GENERIC_CPU) $(PY) -m pytest $(NBVAL) notebooks" \
	  "$(NPM_CI) && $(PY) -m pytest tests && $(WIDGETS7)"
	tools/side_by_side.sh \
	  "$(PY) -m pytest tests/browser $(LANE_B_BROWSER:%=--ignore=%)" \
	  "$(PY) -m pytest $(LANE_B_BROWSER)"
endif

# Re-execute notebooks top to bottom in place (all, or NB=notebooks/03-....ipynb), headers first,
# slide types last (they depend on the outputs' sizes); offline and with a private torch hub, as
# the tests run them (tools/execute.py).
NB ?= notebooks/*.ipynb
execute: $(STAMP)
	$(PY) tools/notebook_header.py $(NB)
	$(PY) tools/execute.py $(NB)
	$(PY) tools/slides.py $(NB)

# The course as a website, build/site (Sphinx, MyST-NB, sphinx-book-theme): every notebook a
# page with its explorers live from the notebook's saved widget state, no kernel; every file a
# page loads is in build/site, so it opens from disk, any static web server or a zip. The
# in-page networks need notebook 07's trained model in data/models (make execute trains it).
site: $(STAMP) $(WEB_ASSETS)
	rm -rf build/site build/site-source
	$(PY) tools/site.py build/site notebooks/*.ipynb

# For teachers: one HTML slide deck per notebook (reveal.js, MathJax and the explorers' widget
# manager from npm, served from build/slides/_assets, so the decks open offline, explorers
# live), and the student edition (no solutions).
web-assets: $(WEB_ASSETS)

$(WEB_ASSETS): tools/web-assets/package.json tools/web-assets/package-lock.json
	$(NPM_CI)

slides: $(STAMP) $(WEB_ASSETS)
	rm -rf build/slides
	$(PY) tools/decks.py build/slides notebooks/*.ipynb

student: $(STAMP)
	rm -rf build/student
	$(PY) tools/editions.py student build/student notebooks/*.ipynb

clean:
	rm -rf $(VENV) $(IPYW7) .pytest_cache .ruff_cache .hypothesis test-artifacts build tools/web-assets/node_modules
