// filter_editor.js: the filter editor's page side (after geometry.js and drawing.js). Typing
// a weight redraws the response at once (correlate3x3); the kernel's own response (torch)
// replaces it when it arrives for the same digit and weights, and comes with every other
// digit. Without a kernel the digits are the bank's, and the page's response is the one drawn.
// A weight is a float32 number (numberField); a huge one can overflow float32 in the
// response, which the picture then says.

const CUSTOM = "custom";
const same = (a, b) => a.length === b.length && a.every((v, k) => v === b[k]);
const PRECISION = 2 ** 24; // float32 keeps 24 bits: a sum loses a term this much smaller

// Cells of a response float32 could not hold: ±∞ (the page's sums, stored as float32) or NaN
// (torch's float32 sums, where ∞ − ∞ happens); "" when there is none.
function overflow(values) {
  let inf = 0, nan = 0;
  for (const v of values) {
    if (Number.isNaN(v)) { nan++; } else if (!Number.isFinite(v)) { inf++; }
  }
  const parts = [[inf, "±∞"], [nan, "NaN"]].filter(([n]) => n)
    .map(([n, what]) => `${n} ${what}`);
  return parts.length ? `float32 overflows: ${parts.join(" and ")} of ${values.length} cells` : "";
}

// Weights too far apart for float32: the smaller vanish from the sums beside the largest.
function lostWeights(weights) {
  const sizes = weights.map(Math.abs).filter((v) => v > 0);
  const [small, large] = [Math.min(...sizes), Math.max(...sizes)];
  return sizes.length && large / small > PRECISION
    ? `weights from ${formatNumber(small)} to ${formatNumber(large)} in size: float32 keeps ` +
      "about 7 significant digits, so next to the largest the smallest change no sum"
    : "";
}

function render({model, el}) {
  const parts = frame(el, "Filter editor: a 3×3 filter on an MNIST training digit");
  const commit = committer(model);
  const kernel = host().kernel;
  const digit = digitControl(parts, "digit", {count: model.get("count"),
                                              value: model.get("index"), bank: model.get("bank"),
                                              onChoose: (v) => commit({index: v})});
  const presets = model.get("presets");
  const preset = choice("preset", [...Object.keys(presets), CUSTOM].map((n) => [n, n]), {
    value: model.get("preset"),
    onChange: (name) => { if (name !== CUSTOM) { commit({weights: presets[name], preset: name}); } },
  });
  const boxes = [];
  const grid = html("div", {class: "course-filter-grid", role: "group",
                            "aria-label": "filter weights, row by row"});
  for (let k = 0; k < 9; k++) {
    const box = numberField(parts, `weight, row ${Math.floor(k / 3) + 1}, column ${k % 3 + 1}`, {
      value: model.get("weights")[k], step: 0.5,
      onValue: (value) => {
        const weights = [...model.get("weights")];
        weights[k] = value;
        const match = Object.keys(presets).find((name) => same(presets[name], weights));
        commit({weights, preset: match || CUSTOM});
      }});
    boxes.push(box);
    grid.append(box);
  }
  parts.controls.append(digit, preset, grid);

  // The digit drawn: the one the kernel sent last, or without a kernel the bank's.
  function image(height, width) {
    return kernel ? floats(model.get("image"))
      : bankedImage(model, model.get("index"), height * width);
  }

  // The response to draw: torch's when it is for this digit and these weights, else the
  // browser's own.
  function response(pixels, height, width, weights) {
    const made = model.get("response_for");
    if (made.index === model.get("index") && same(made.weights, weights)) {
      return {rows: height - 2, cols: width - 2, values: floats(model.get("response")),
              source: "kernel"};
    }
    return {...correlate3x3(pixels, height, width, weights), source: "browser"};
  }

  function draw() {
    const [height, width] = model.get("shape");
    const weights = model.get("weights");
    const index = model.get("index");
    const pixelsIn = image(height, width);
    digit.show(index);
    preset.input.value = model.get("preset");
    boxes.forEach((box, k) => box.show(weights[k]));
    const out = response(pixelsIn, height, width, weights);
    const input = pixels(height, width, `digit ${index}`, 220);
    const limit = limitOf(pixelsIn);
    input.paint((k) => signedColour(pixelsIn[k], limit));
    const filter = pixels(3, 3, `filter ${weights.map(formatNumber).join(", ")}`, 160);
    const wLimit = limitOf(weights);
    filter.paint((k) => signedColour(weights[k], wLimit));
    weights.forEach((v, k) => {
      const text = formatNumber(v);
      filter.overlay.append(svg("text", {
        x: k % 3 + 0.5, y: Math.floor(k / 3) + 0.5, text,
        style: `font-size: ${Math.min(0.42, 1.6 / text.length)}px`, // a long number fits too
        fill: Math.abs(v) > 0.6 * wLimit ? "#fff" : "#222"}));
    });
    const shown = pixels(out.rows, out.cols, "response", 260);
    shown.node.dataset.source = out.source; // computed here, or by torch in the kernel
    const rLimit = limitOf(out.values);
    shown.paint((k) => signedColour(out.values[k], rLimit));
    let low = Infinity, high = -Infinity;
    for (const v of out.values) {
      if (!Number.isNaN(v)) { low = Math.min(low, v); high = Math.max(high, v); }
    }
    const range = `response ${out.rows}×${out.cols}: ${formatNumber(low)} (blue) to ` +
      `${formatNumber(high)} (red)`;
    const warnings = [overflow(out.values), lostWeights(weights)].filter(Boolean);
    parts.picture.replaceChildren(html("div", {class: "course-panels"}, [
      panel(`digit ${index}`, input.node, 220), panel("filter", filter.node, 160),
      panel(range, shown.node, 260)]),
    ...warnings.map((text) => html("p", {class: "course-warning", text: `⚠ ${text}`})));
    parts.status.textContent = `${model.get("preset")} filter on digit ${index}: ${range}` +
      warnings.map((text) => `; ${text}`).join("");
    redrawn(parts);
  }

  // With a kernel, another digit is drawn when its pixels arrive, not when it is asked for.
  redrawOn(model, ["shape", "image", "weights", "preset", "response", "response_for",
                   ...(kernel ? [] : ["index"])], draw);
  if (kernel) { model.on("change:index", () => digit.show(model.get("index"))); }
  draw();
}

export default {render};
