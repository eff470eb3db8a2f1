#!/usr/bin/env bash
# Build .venv-ipyw7: the project's environment (.venv) seen through ipywidgets 7.7, the version
# Colab runs. It is cheap: a bare virtual environment holding only ipywidgets 7.7 (and
# ipython_genutils, which 7.x imports), whose site-packages ends with a .pth file that adds
# .venv's site-packages (torch, matplotlib, ipykernel, the editable course_utils ...) behind it.
# A venv's own site-packages comes first on sys.path, so ipywidgets 7.7 shadows .venv's 8.x.
#
#   tools/ipywidgets7_env.sh                 # build (or reuse) .venv-ipyw7, then check it
#   .venv-ipyw7/bin/python -m pytest tests/widgets_compat
#
# Needs .venv (make venv). The two wheels lie in tests/widgets_compat/wheels (150 kB), so no
# network is needed; without them it asks the package index. Run from anywhere.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="${VENV:-$ROOT/.venv}"
ENV7="${IPYW7_VENV:-$ROOT/.venv-ipyw7}"
WHEELS="$ROOT/tests/widgets_compat/wheels"
PACKAGES=("ipywidgets>=7.7,<7.8" "ipython_genutils~=0.2.0")

if [ ! -x "$BASE/bin/python" ]; then
    echo "ipywidgets7_env: $BASE/bin/python is missing; run 'make venv' first." >&2
    exit 1
fi

if [ ! -x "$ENV7/bin/python" ]; then
    # Made from .venv's own interpreter so both have the same Python version.
    "$BASE/bin/python" -m venv --without-pip "$ENV7"
fi

base_site="$("$BASE/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
env7_site="$("$ENV7/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"

# addsitedir (not a plain path line) so that .venv's own .pth files run too: the editable
# course_utils install is one of them.
printf 'import site; site.addsitedir(%s)\n' "'$base_site'" > "$env7_site/zz_course_base_venv.pth"

if ! "$ENV7/bin/python" -c 'import ipywidgets, sys; sys.exit(not ipywidgets.__version__.startswith("7.7."))' \
        2>/dev/null; then
    # .venv's pip installs into the other interpreter (pip --python); --no-deps keeps torch &
    # co. coming from .venv. widgetsnbextension / jupyterlab_widgets are front-end only.
    source=()
    if compgen -G "$WHEELS/ipywidgets-7.7.*.whl" >/dev/null; then
        source=(--no-index --find-links "$WHEELS")
    fi
    "$BASE/bin/python" -m pip --python "$ENV7/bin/python" install --quiet --no-deps \
        "${source[@]}" "${PACKAGES[@]}"
fi

"$ENV7/bin/python" - <<'EOF'
import ipywidgets
import torch

import course_utils.widgets

version = ipywidgets.__version__
assert version.startswith("7.7."), f"expected ipywidgets 7.7.x, got {version}"
print(f"ipywidgets7_env: ipywidgets {version} ({ipywidgets.__file__})")
print(f"ipywidgets7_env: torch {torch.__version__}, course_utils from {course_utils.__file__}")
EOF
