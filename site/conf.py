"""Sphinx configuration of the course's website (make site; tools/site.py stages this folder).

tools/site.py copies this folder and the executed notebooks into a staging folder under build/
and runs Sphinx there: MyST-NB renders each notebook as a page from its committed outputs and
widget state (it executes nothing), sphinx-book-theme lays the pages out. Every file a page
loads comes from the built site: MathJax 2.7.7, RequireJS, the widget manager and anywidget's
front end from ``_static/course`` (copied there by tools/site.py from tools/web-assets and
anywidget's wheel); the theme's own files (fonts, icons) come with the theme.
Before the widget manager runs, ``_static/course/course-host.js`` tells the explorers they run
without a kernel (``window.courseHost``, see course_utils/widgets/drawing.js).
"""

from __future__ import annotations

import json
from pathlib import Path

from myst_nb.sphinx_ import NbMetadataCollector

HERE = Path(__file__).resolve().parent
# Written by tools/site.py into the staging folder: the repository's address (pyproject.toml),
# where the first notebook runs, and the notebooks, each with its title and the line README's
# table gives it.
SETTINGS = json.loads((HERE / "course-site.json").read_text(encoding="utf-8"))
REPOSITORY = SETTINGS["repository"]
ASSETS = "course"  # the course's own files, under _static (tools/site.py copies them there)

project = "Convolutional neural networks in PyTorch"
author = "The course's authors"
copyright = "the course's authors, MIT licence"

extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
html_static_path = ["_static"]
templates_path = ["_templates"]  # the theme's search button, its name as it reads

# The committed notebooks are shown as they are: outputs and widget state, no kernel.
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath", "substitution"]
myst_heading_anchors = 3
# The widget manager and RequireJS from the site itself; no data-jupyter-widgets-cdn, no
# crossorigin attribute (a file:// page would refuse the script).
nb_ipywidgets_js = {f"{ASSETS}/require.js": {}, f"{ASSETS}/embed-amd.js": {}}
nb_merge_streams = True

# MathJax 2.7.7 from the site, typesetting only what MyST marked as maths.
mathjax_path = f"{ASSETS}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
mathjax2_config = {
    "tex2jax": {"processClass": "math", "ignoreClass": "document", "processEscapes": True},
    "CommonHTML": {"linebreaks": {"automatic": True}},
    "menuSettings": {"zoom": "None"},
    "showMathMenu": False,
}

html_theme = "sphinx_book_theme"
html_context = {"default_mode": "light"}  # the explorers are drawn on white
html_title = "Convnets in PyTorch"
html_css_files = ["course-site.css"]
html_copy_source = True  # the download button offers each notebook (.ipynb)
html_show_sourcelink = False
html_show_search_summary = False  # a summary would fetch() each page: refused on file://
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": REPOSITORY,
    "repository_branch": "main",
    "path_to_docs": "notebooks",
    "use_repository_button": True,
    "use_download_button": True,
    "launch_buttons": {
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
        "notebook_interface": "jupyterlab",
    },
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
}

# The landing page: the notebooks, one line each, and where to run the first one
# (tools/decks.py run_links; tests/test_site.py checks that the theme's buttons agree).
myst_substitutions = {
    "notebook_list": "\n".join(f"- [{nb['title']}]({nb['name']}.ipynb): {nb['topic']}"
                               for nb in SETTINGS["notebooks"]),
    "repository_link": f"[its repository]({REPOSITORY})",
    "binder_link": f"[Binder]({SETTINGS['run']['binder']})",
    "colab_link": f"[Colab]({SETTINGS['run']['colab']})",
}


def launch_links(context) -> dict[str, str]:
    """The theme's launch buttons of a page ({"binder": url, "colab": url}; {} for none)."""
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            return {b["text"].lower(): b["url"] for b in group["buttons"] if "url" in b}
    return {}


def course_host(app, pagename, templatename, context, doctree):
    """On a page with explorers, course-host.js first: window.courseHost for the explorers,
    RequireJS's path to anywidget's front end (before RequireJS itself loads)."""
    if "ipywidgets_state" not in NbMetadataCollector.get_js_files(app.env, pagename):
        return
    app.add_js_file(f"{ASSETS}/course-host.js", priority=400, **{
        "data-notebook": pagename, "data-run": json.dumps(launch_links(context))})


def setup(app):
    # After the theme's launch buttons (priority 501): they hold the page's Binder and Colab links.
    app.connect("html-page-context", course_host, priority=502)
