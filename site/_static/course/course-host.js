// course-host.js: loaded first on a page built from a notebook (the course's website, make
// site, and its slide decks, make slides), before RequireJS and the widget manager. It says
// where the explorers run (course_utils/widgets/drawing.js, host()): no kernel, which
// notebook, where to run it, and the folder of the course's own files, the one this script
// is in. It also points RequireJS at anywidget's front end in that folder, so that the widget
// manager never looks for it on a CDN. Its <script> tag carries data-notebook and data-run
// (JSON: {"binder": url, "colab": url}).
(() => {
  const script = document.currentScript;
  const src = script.getAttribute("src");
  const assets = src.slice(0, src.lastIndexOf("/")) || ".";
  window.courseHost = {
    kernel: false,
    notebook: script.dataset.notebook,
    run: JSON.parse(script.dataset.run || "{}"),
    assets,
  };
  // RequireJS: anywidget's front end from this folder; and the widget manager's own modules
  // named as if they were here too, so that it finds its fonts (copied beside it, in
  // jupyter-widgets/) from their address.
  const widgets = `${assets}/jupyter-widgets`;
  const config = {paths: {anywidget: `${assets}/anywidget`, "@jupyter-widgets": widgets,
                          "@jupyter-widgets/html-manager/dist": widgets}};
  if (typeof window.requirejs === "function") {
    window.requirejs.config(config);
  } else {
    window.require = config;  // RequireJS reads a global `require` object as its configuration
  }
})();
