// course-onnx.js: the course's networks in a page without a kernel, run by ONNX Runtime Web.
// Written into a page's asset folder (onnx/) by course_utils.onnx_export.write_page_assets,
// beside the runtime (ort.wasm.min.js, as npm ships it) and the packs: classic scripts that
// define a file's bytes, gzip-compressed and base64-encoded (onnx_export.pack). A classic
// script loads from file:// too, where fetch() and module imports of local files are refused;
// so the runtime's .wasm is handed over as bytes (ort.env.wasm.wasmBinary), its .mjs glue as a
// blob: URL (ort.env.wasm.wasmPaths.mjs), the models as bytes. One thread, no proxy worker.
//
//   const net = await courseOnnx.session("lecture-net.onnx");
//   const out = await net.run({image: [pixels, [1, 1, 28, 28]]});  // {name: {data, dims}}
//
// A session runs one call at a time; calls wait their turn.
(() => {
  if (globalThis.courseOnnx) { return; }
  const here = document.currentScript.src.replace(/[^/]*$/, "");
  const scripts = new Map();

  function load(file) {
    if (!scripts.has(file)) {
      scripts.set(file, new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = here + file;
        script.addEventListener("load", () => resolve());
        script.addEventListener("error", () => reject(new Error(
          `could not load ${file} from this page's files (${here})`)));
        document.head.append(script);
      }));
    }
    return scripts.get(file);
  }

  function fromBase64(text) {
    const chars = atob(text);
    const bytes = new Uint8Array(chars.length);
    for (let k = 0; k < chars.length; k++) { bytes[k] = chars.charCodeAt(k); }
    return bytes;
  }

  // A packed file's bytes and the JSON that came with them.
  async function file(name) {
    await load(`${name}.js`);
    const entry = (globalThis.courseOnnxFiles || {})[name];
    if (!entry) { throw new Error(`${name}.js does not define ${name}`); }
    if (typeof DecompressionStream === "undefined") {
      throw new Error("this browser cannot unpack the network (it has no DecompressionStream):" +
                      " use a recent Chrome, Edge, Firefox or Safari");
    }
    const stream = new Blob([fromBase64(entry.gzip)]).stream()
      .pipeThrough(new DecompressionStream("gzip"));
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    if (bytes.length !== entry.size) {
      throw new Error(`${name} unpacked to ${bytes.length} bytes, expected ${entry.size}`);
    }
    return {bytes, meta: entry.meta};
  }

  let runtime = null;
  function ready() {
    runtime ||= (async () => {
      const [, glue, wasm] = await Promise.all(
        [load("ort.wasm.min.js"), file("ort-wasm-simd-threaded.mjs"),
         file("ort-wasm-simd-threaded.wasm")]);
      const ort = globalThis.ort;
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.proxy = false;
      ort.env.wasm.wasmBinary = wasm.bytes;
      ort.env.wasm.wasmPaths = {mjs: URL.createObjectURL(
        new Blob([glue.bytes], {type: "text/javascript"}))};
      return ort;
    })();
    return runtime;
  }

  const sessions = new Map();
  function session(name) {
    if (!sessions.has(name)) {
      sessions.set(name, (async () => {
        const [ort, model] = await Promise.all([ready(), file(name)]);
        const inner = await ort.InferenceSession.create(model.bytes,
                                                        {executionProviders: ["wasm"]});
        let turn = Promise.resolve();
        const run = (feeds) => {
          const done = turn.then(async () => {
            const tensors = {};
            for (const [key, [data, dims]] of Object.entries(feeds)) {
              tensors[key] = new ort.Tensor("float32", data, dims);
            }
            const results = await inner.run(tensors);
            const out = {};
            for (const [key, tensor] of Object.entries(results)) {
              out[key] = {data: tensor.data, dims: tensor.dims};
              tensor.dispose();
            }
            return out;
          });
          turn = done.catch(() => {});
          return done;
        };
        return {run, meta: model.meta, inputs: inner.inputNames, outputs: inner.outputNames};
      })());
      sessions.get(name).catch(() => sessions.delete(name));  // a failed start may be retried
    }
    return sessions.get(name);
  }

  globalThis.courseOnnx = {session, file};
})();
