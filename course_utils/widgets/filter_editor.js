// filter_editor.js: the filter editor's page side (after geometry.js and drawing.js). Typing
// a weight redraws the response at once (correlate3x3); the kernel's own response (torch)
// replaces it when it arrives for the same weights, and comes with every other digit.

const CUSTOM = "custom";
const same = (a, b) => a.length === b.length && a.every((v, k) => v === b[k]);

function render({model, el}) {
  const parts = frame(el, "Filter editor: a 3×3 filter on an MNIST training digit");
  const digit = slider("digit", {min: 0, max: model.get("count") - 1, value: model.get("index"),
                                 onInput: (v) => commit({index: v})});
  const presets = model.get("presets");
  const preset = choice("preset", [...Object.keys(presets), CUSTOM].map((n) => [n, n]), {
    value: model.get("preset"),
    onChange: (name) => { if (name !== CUSTOM) { commit({weights: presets[name], preset: name}); } },
  });
  const boxes = [];
  const grid = html("div", {class: "course-filter-grid", role: "group",
                            "aria-label": "filter weights, row by row"});
  for (let k = 0; k < 9; k++) {
    const box = html("input", {type: "number", step: 0.5, "aria-label":
                               `weight, row ${Math.floor(k / 3) + 1}, column ${k % 3 + 1}`});
    box.addEventListener("input", () => {
      const value = Number(box.value);
      if (box.value.trim() === "" || !Number.isFinite(value)) { return; }
      const weights = [...model.get("weights")];
      weights[k] = value;
      const match = Object.keys(presets).find((name) => same(presets[name], weights));
      commit({weights, preset: match || CUSTOM});
    });
    boxes.push(box);
    grid.append(box);
  }
  parts.controls.append(digit, preset, grid);

  const commit = committer(model);

  // The response to draw: torch's when it is for these weights, else the browser's own.
  function response(image, height, width, weights) {
    if (same(model.get("response_weights"), weights)) {
      return {rows: height - 2, cols: width - 2, values: floats(model.get("response")),
              source: "kernel"};
    }
    return {...correlate3x3(image, height, width, weights), source: "browser"};
  }

  function draw() {
    const [height, width] = model.get("shape");
    const weights = model.get("weights");
    const image = floats(model.get("image"));
    digit.set(model.get("index"), model.get("count") - 1);
    preset.input.value = model.get("preset");
    boxes.forEach((box, k) => {
      if (document.activeElement !== box || Number(box.value) !== weights[k]) {
        box.value = String(weights[k]);
      }
    });
    const out = response(image, height, width, weights);
    const input = pixels(height, width, `digit ${model.get("index")}`, 220);
    const limit = limitOf(image);
    input.paint((k) => signedColour(image[k], limit));
    const filter = pixels(3, 3, `filter ${weights.join(", ")}`, 160);
    const wLimit = limitOf(weights);
    filter.paint((k) => signedColour(weights[k], wLimit));
    weights.forEach((v, k) => filter.overlay.append(svg("text", {
      x: k % 3 + 0.5, y: Math.floor(k / 3) + 0.5, text: String(Math.round(v * 1000) / 1000),
      fill: Math.abs(v) > 0.6 * wLimit ? "#fff" : "#222"})));
    const shown = pixels(out.rows, out.cols, "response", 260);
    shown.node.dataset.source = out.source; // computed here, or by torch in the kernel
    const rLimit = limitOf(out.values);
    shown.paint((k) => signedColour(out.values[k], rLimit));
    let low = Infinity, high = -Infinity;
    for (const v of out.values) { low = Math.min(low, v); high = Math.max(high, v); }
    const range = `response ${out.rows}×${out.cols}: ${low.toPrecision(3)} (blue) to ` +
      `${high.toPrecision(3)} (red)`;
    parts.picture.replaceChildren(html("div", {class: "course-panels"}, [
      panel(`digit ${model.get("index")}`, input.node, 220), panel("filter", filter.node, 160),
      panel(range, shown.node, 260)]));
    parts.status.textContent = `${model.get("preset")} filter on digit ${model.get("index")}: ${range}`;
    redrawn(parts);
  }

  // Another digit is drawn when its pixels arrive from the kernel, not when it is asked for.
  redrawOn(model, ["shape", "image", "weights", "preset", "response", "response_weights"], draw);
  model.on("change:index", () => digit.set(model.get("index"), model.get("count") - 1));
  draw();
}

export default {render};
