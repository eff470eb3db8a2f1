// photo_classifier.js: the photo classifier's page side (after geometry.js and drawing.js).
// With a kernel, a chosen file goes to the kernel, which classifies it and sends back a
// thumbnail and the ten best classes. On a page without a kernel the photo stays here:
// SqueezeNet, exported to ONNX (course_utils.onnx_export), classifies it in ONNX Runtime Web
// (course-onnx.js), after course_utils.squeezenet.caffe_preprocess's preprocessing, PIL's
// bilinear resize included, reproduced to the pixel (caffeInput). Either way the top-k bars
// are drawn (and redrawn for another k) here.

const NETWORK = ["onnx/course-onnx.js", "squeezenet.onnx"]; // course_utils.onnx_export's names
const TOP = 10; // classes kept (photo_classifier.TOP)
const THUMBNAIL = 320; // the photo is shown at most this many pixels wide or high
const MAX_PIXELS = 4096 * 4096; // a larger photo is first reduced by the browser
const REDUCED = 1024; // ... to this shorter side
const TRANSPARENT = "Its transparent parts were put on white before classifying it.";
const PRECISION = 22; // PIL's fixed-point bits for 8-bit images (32 - 8 - 2)

// Python's round(): halves to the even neighbour (torchvision's centre crop uses it).
export function roundHalfEven(x) {
  const down = Math.floor(x), rest = x - down;
  if (rest !== 0.5) { return Math.round(x); }
  return down % 2 === 0 ? down : down + 1;
}

// PIL's bilinear resampling coefficients for one axis (Resample.c: precompute_coeffs and
// normalize_coeffs_8bpc): for each output pixel, the first input pixel it reads, how many,
// and their fixed-point weights.
export function resampleCoefficients(inSize, outSize) {
  const scale = inSize / outSize, filterScale = Math.max(1, scale), support = filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize), count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * ksize);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const low = Math.max(0, Math.trunc(centre - support + 0.5));
    const high = Math.min(inSize, Math.trunc(centre + support + 0.5)) - low;
    const k = new Float64Array(high);
    let total = 0;
    for (let x = 0; x < high; x++) {
      const t = Math.abs((x + low - centre + 0.5) * (1 / filterScale));
      k[x] = t < 1 ? 1 - t : 0;
      total += k[x];
    }
    for (let x = 0; x < high; x++) {
      const w = total !== 0 ? k[x] / total : k[x];
      weights[o * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * 2 ** PRECISION)
        : Math.trunc(0.5 + w * 2 ** PRECISION);
    }
    first[o] = low;
    count[o] = high;
  }
  return {first, count, weights, ksize};
}

const clip8 = (sum) => Math.max(0, Math.min(255, Math.floor(sum / 2 ** PRECISION)));

// One pass of PIL's resampling over an RGBA image `width` pixels wide whose first row is row
// `offset` of the original: across (rows `offset`..`offset + rows` of the original, each to
// as many pixels as `coefficients` has outputs) or down (each column, to as many pixels).
function pass(rgba, width, offset, rows, coefficients, across) {
  const {first: starts, count, weights, ksize} = coefficients, n = starts.length;
  const outW = across ? n : width, outH = across ? rows : n;
  const out = new Uint8ClampedArray(outW * outH * 4);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const o = across ? x : y, k = o * ksize;
      let s0 = 2 ** (PRECISION - 1), s1 = s0, s2 = s0;
      for (let i = 0; i < count[o]; i++) {
        const at = across ? (y * width + starts[o] + i) * 4
          : ((starts[o] - offset + i) * width + x) * 4;
        const weight = weights[k + i];
        s0 += rgba[at] * weight; s1 += rgba[at + 1] * weight; s2 += rgba[at + 2] * weight;
      }
      const at = (y * outW + x) * 4;
      out[at] = clip8(s0); out[at + 1] = clip8(s1); out[at + 2] = clip8(s2); out[at + 3] = 255;
    }
  }
  return out;
}

// An RGBA image (w×h, 4 bytes a pixel) resized to outW×outH as PIL's Image.resize does with
// BILINEAR (Pillow 13, Resample.c): two passes, each rounded to 8 bits, the vertical one first
// when the height shrinks by more than twice as many pixels as the width, else the horizontal
// one first, over the rows the vertical one reads; RGBA out, alpha 255.
export function resizeBilinear(rgba, w, h, outW, outH) {
  const needAcross = outW !== w, needDown = outH !== h;
  if (!needAcross && !needDown) { return rgba.slice(); }
  const across = resampleCoefficients(w, outW), down = resampleCoefficients(h, outH);
  if (h - outH > 0 && h - outH > (w - outW) * 2) {
    const shorter = pass(rgba, w, 0, h, down, false);
    return needAcross ? pass(shorter, w, 0, outH, across, true) : shorter;
  }
  if (!needDown) { return pass(rgba, w, 0, h, across, true); }
  if (!needAcross) { return pass(rgba, w, 0, h, down, false); }
  const first = down.first[0], last = down.first[outH - 1] + down.count[outH - 1];
  const rows = rgba.subarray(first * w * 4, last * w * 4);
  return pass(pass(rows, w, first, last - first, across, true), outW, first, outH, down, false);
}

// An RGBA photo (w×h) as SqueezeNet takes it, 3×crop×crop float32, as caffe_preprocess makes
// it: the shorter side resized to `resize` (torchvision's sizes, PIL's bilinear), the centre
// crop×crop (torchvision's rounding), channels B, G, R, values 0..255 minus `mean_bgr`.
export function caffeInput(rgba, w, h, {resize, crop, mean_bgr: mean}) {
  const [short, long] = w <= h ? [w, h] : [h, w];
  const longer = Math.trunc((resize * long) / short);
  const [outW, outH] = w <= h ? [resize, longer] : [longer, resize];
  const small = resizeBilinear(rgba, w, h, outW, outH);
  const top = roundHalfEven((outH - crop) / 2), left = roundHalfEven((outW - crop) / 2);
  const input = new Float32Array(3 * crop * crop);
  for (let y = 0; y < crop; y++) {
    for (let x = 0; x < crop; x++) {
      const at = ((y + top) * outW + x + left) * 4, k = y * crop + x;
      for (let b = 0; b < 3; b++) { input[b * crop * crop + k] = small[at + 2 - b] - mean[b]; }
    }
  }
  return input;
}

// The `n` most likely classes, best first, as [name, probability].
export function topClasses(probabilities, categories, n) {
  const order = Array.from(probabilities.keys())
    .sort((a, b) => probabilities[b] - probabilities[a]);
  return order.slice(0, n).map((k) => [categories[k], probabilities[k]]);
}

// A chosen file's pixels, RGBA, as PIL reads them (course_utils.pretrained.load_photo: turned
// upright, no colour conversion, transparent parts on white), with what had to be done first.
export async function photoPixels(file) {
  const unreadable = new Error("could not read this file as an image (JPEG, PNG...)");
  const [w0, h0] = await new Promise((resolve, reject) => { // the size, from the header
    const url = URL.createObjectURL(file), image = new Image();
    image.onload = () => {
      URL.revokeObjectURL(url);
      resolve([image.naturalWidth, image.naturalHeight]);
    };
    image.onerror = () => { URL.revokeObjectURL(url); reject(unreadable); };
    image.src = url;
  });
  const notes = [], options = {colorSpaceConversion: "none", premultiplyAlpha: "none"};
  if (w0 * h0 > MAX_PIXELS) {
    const factor = REDUCED / Math.min(w0, h0);
    options.resizeWidth = Math.max(1, Math.round(w0 * factor));
    options.resizeHeight = Math.max(1, Math.round(h0 * factor));
    options.resizeQuality = "high";
    notes.push(`This photo is ${w0}×${h0} pixels (${(w0 * h0 / 1e6).toFixed(0)} megapixels): ` +
               `the browser first made it ${options.resizeWidth}×${options.resizeHeight}, so ` +
               "its scores can differ a little from the notebook's.");
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, options);
  } catch {
    throw unreadable;
  }
  const canvas = html("canvas", {width: bitmap.width, height: bitmap.height});
  const context = canvas.getContext("2d", {willReadFrequently: true});
  context.drawImage(bitmap, 0, 0);
  const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
  let transparent = false;
  for (let k = 0; k < rgba.length; k += 4) {
    const a = rgba[k + 3];
    if (a === 255) { continue; }
    transparent = true;
    for (let b = 0; b < 3; b++) {
      rgba[k + b] = Math.round((rgba[k + b] * a + 255 * (255 - a)) / 255);
    }
    rgba[k + 3] = 255;
  }
  if (transparent) { notes.push(TRANSPARENT); }
  return {bitmap, rgba, width: bitmap.width, height: bitmap.height, notes};
}

// A JPEG thumbnail of the photo (at most THUMBNAIL pixels a side), as the kernel sends one.
async function thumbnail(bitmap) {
  const scale = Math.min(1, THUMBNAIL / Math.max(bitmap.width, bitmap.height));
  const canvas = html("canvas", {width: Math.max(1, Math.round(bitmap.width * scale)),
                                 height: Math.max(1, Math.round(bitmap.height * scale))});
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.85));
  return new DataView(await blob.arrayBuffer());
}

function render({model, el}) {
  const kernelHere = host().kernel;
  const parts = frame(el, kernelHere ? `Classify your own photo with ${model.get("network")}`
    : "Classify your own photo with SqueezeNet, in this page");
  const file = html("input", {type: "file", accept: "image/*"});
  let network = null;
  const squeezenet = () => {
    if (!network) { parts.root.dataset.network = "loading"; }
    network ||= loadScript(NETWORK[0])
      .then(() => globalThis.courseOnnx.session(NETWORK[1]))
      .then(async (net) => { // a first run, so that the learner's photo does not wait for it
        const crop = net.meta.crop;
        await net.run({image: [new Float32Array(3 * crop * crop), [1, 3, crop, crop]]});
        parts.root.dataset.network = "ready";
        return net;
      });
    network.catch(() => { parts.root.dataset.network = "failed"; });
    return network;
  };
  file.addEventListener("change", async () => {
    const chosen = file.files && file.files[0];
    if (!chosen) { return; }
    parts.status.textContent = `classifying ${chosen.name}…`;
    if (kernelHere) {
      const content = await chosen.arrayBuffer();
      model.set("upload_name", chosen.name);
      model.set("upload", new DataView(content));
      model.save_changes();
      return;
    }
    try {
      const [net, photo] = await Promise.all([squeezenet(), photoPixels(chosen)]);
      const crop = net.meta.crop;
      const out = await net.run({
        image: [caffeInput(photo.rgba, photo.width, photo.height, net.meta), [1, 3, crop, crop]]});
      const shown = await thumbnail(photo.bitmap);
      photo.bitmap.close();
      model.set({photo: shown, caption: chosen.name, network: "SqueezeNet", error: "",
                 notice: photo.notes.join(" "),
                 classes: topClasses(out.probabilities.data, net.meta.categories, TOP)});
    } catch (err) {
      model.set("error", `${chosen.name}: ${err.message || err}`);
    }
    later(); // the same photo again changes no trait, and is shown again all the same
  });
  const photoControl = html("label", {class: "course-control"}, ["photo ", file]);
  const k = slider("top k", {min: 1, max: TOP, value: model.get("k"),
                             onInput: (v) => { model.set("k", v); model.save_changes(); }});
  parts.controls.append(photoControl, k);
  if (!kernelHere) {
    const notebooks = model.get("network");
    parts.notes.append(html("p", {text: "In this page, the photo you choose is classified by " +
      "SqueezeNet, run by your browser (ONNX Runtime Web): it does not leave your computer." +
      (notebooks === "SqueezeNet" ? "" : ` The notebook classifies photos with ${notebooks}, ` +
        "too large for a page (233 MB): the classes shown until you choose a photo are " +
        `${notebooks}'s, from the notebook.`)}));
    setTimeout(() => squeezenet().catch(() => {}), 300);
  }
  let url = null;

  function draw() {
    const classes = model.get("classes");
    const top = Math.min(model.get("k"), classes.length);
    k.set(model.get("k"), TOP);
    parts.message.textContent = model.get("error") ? `⚠ ${model.get("error")}` : "";
    if (!classes.length) {
      parts.picture.replaceChildren();
      redrawn(parts);
      return;
    }
    const photo = model.get("photo");
    if (url) { URL.revokeObjectURL(url); }
    url = URL.createObjectURL(new Blob([photo.buffer.slice(photo.byteOffset,
                                                          photo.byteOffset + photo.byteLength)],
                                       {type: "image/jpeg"}));
    const caption = model.get("caption") || "photo";
    const image = html("img", {class: "course-photo", src: url, alt: caption});
    const rows = classes.slice(0, top).map(([name, p], n) => [
      name.length > 28 ? `${name.slice(0, 27)}…` : name, p,
      n === 0 ? COLOURS.selected : COLOURS.bar]);
    const notice = model.get("notice");
    parts.picture.replaceChildren(html("div", {class: "course-panels"}, [
      panel(caption, image, 320),
      panel(`the ${top} most likely classes (${model.get("network")})`,
            bars(rows, `top ${top}: ${classes.slice(0, top).map(([name, p]) =>
              `${name} ${p.toFixed(2)}`).join(", ")}`), 460)]),
    ...(notice ? [html("p", {class: "course-caption course-notice", text: notice})] : []));
    parts.status.textContent = `${caption}: ${classes[0][0]} (${classes[0][1].toFixed(2)})`;
    redrawn(parts);
  }

  const later = redrawOn(model, ["k", "classes", "photo", "caption", "error", "notice"], draw);
  draw();
  return () => { if (url) { URL.revokeObjectURL(url); } };
}

export default {render};
