// A JupyterLab federated extension with no plugin of its own. jupyterlab-rise 0.43's slideshow
// app shares fewer JupyterLab packages than JupyterLab does, and ipywidgets 8's widget manager
// (@jupyter-widgets/jupyterlab-manager) fails to load there: "Shared module @jupyterlab/console
// doesn't exist in shared scope default" (jupyterlab-contrib/rise#119 and #126), so no widget
// renders in a slide. The manager takes only optional service tokens from those packages. Where
// one is missing from the share scope, this puts in a stand-in module holding tokens that no
// plugin provides, so the manager starts without those services. In JupyterLab itself every one
// of them is shared already, and this does nothing.
(function () {
  var MISSING = {
    '@jupyterlab/console': ['IConsoleTracker'],
    '@jupyterlab/logconsole': ['ILoggerRegistry'],
    '@jupyterlab/mainmenu': ['IMainMenu']
  };
  function standIn(pkg, names) {
    var module = {};
    names.forEach(function (name) {
      module[name] = { name: pkg + ':' + name + ' (absent from the slideshow)' };
    });
    return module;
  }
  window._JUPYTERLAB = window._JUPYTERLAB || {};
  window._JUPYTERLAB['course-rise-widgets'] = {
    init: function (scope) {
      Object.keys(MISSING).forEach(function (pkg) {
        if (scope[pkg]) {
          return;
        }
        var module = standIn(pkg, MISSING[pkg]);
        scope[pkg] = {
          '0.0.0': {
            get: function () {
              return Promise.resolve(function () {
                return module;
              });
            },
            from: 'course-rise-widgets',
            eager: false,
            loaded: 1
          }
        };
      });
    },
    get: function (request) {
      return Promise.reject(new Error('course-rise-widgets has no module ' + request));
    }
  };
})();
