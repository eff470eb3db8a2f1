// geometry.js: what the explorers compute in the browser to redraw without asking the kernel.
// Each function mirrors course_utils.arithmetic (the owner of the geometry) or one PyTorch call,
// with the same words in its messages; tests/browser/test_explorer_modules.py compares them
// over sweeps of settings, in Chromium. Nothing here touches the page.

export class GeometryError extends Error {}

export function effectiveKernelSize(kernel, dilation = 1) {
  return 1 + (kernel - 1) * dilation;
}

// Output length of nn.Conv2d along one axis (arithmetic.conv_output_size).
export function convOutputSize(size, kernel, stride = 1, padding = 0, dilation = 1) {
  const span = effectiveKernelSize(kernel, dilation);
  const padded = size + 2 * padding;
  if (span > padded) {
    throw new GeometryError(
      `the kernel covers ${span} cells (kernel ${kernel}, dilation ${dilation}) but the ` +
      `padded input has only ${padded} (size ${size} + 2 x padding ${padding}): ` +
      "expected a kernel no wider than the padded input");
  }
  return Math.floor((padded - span) / stride) + 1;
}

// Output length of nn.ConvTranspose2d along one axis (arithmetic.conv_transpose_output_size).
export function convTransposeOutputSize(size, kernel, stride = 1, padding = 0, dilation = 1) {
  const span = effectiveKernelSize(kernel, dilation);
  const full = (size - 1) * stride + span;
  if (full - 2 * padding < 1) {
    throw new GeometryError(
      `the transposed convolution spreads ${size} cells over ${full} (kernel ${kernel}, ` +
      `stride ${stride}, dilation ${dilation}) and padding ${padding} crops 2 x ` +
      `${padding} of them: expected padding at most ${Math.floor((full - 1) / 2)}`);
  }
  return full - 2 * padding;
}

// Output length of nn.MaxPool2d / nn.AvgPool2d without padding (arithmetic.pool_output_size).
export function poolOutputSize(size, kernel, stride = kernel) {
  if (kernel > size) {
    throw new GeometryError(
      `the pooling window covers ${kernel} cells but the padded input has only ${size}: ` +
      "expected a window no wider than the padded input");
  }
  return Math.floor((size - kernel) / stride) + 1;
}

// One axis of a convolution (arithmetic.Axis).
export class Axis {
  constructor(kernel, stride = 1, padding = 0, dilation = 1, transposed = false) {
    Object.assign(this, {kernel, stride, padding, dilation, transposed});
  }

  get span() { return effectiveKernelSize(this.kernel, this.dilation); }

  outputSize(size) {
    const solve = this.transposed ? convTransposeOutputSize : convOutputSize;
    return solve(size, this.kernel, this.stride, this.padding, this.dilation);
  }

  // The input position each tap of output `index` reads (null: a transposed tap that lands
  // between input cells or outside them; a convolution's taps below 0 or >= size are padding).
  window(index, size) {
    const {kernel, stride, padding, dilation} = this;
    const taps = [];
    for (let j = 0; j < kernel; j++) {
      if (!this.transposed) {
        taps.push(index * stride - padding + j * dilation);
        continue;
      }
      const reach = index + padding - j * dilation;
      const i = Math.floor(reach / stride);
      taps.push(reach - i * stride === 0 && i >= 0 && i < size ? i : null);
    }
    return taps;
  }

  formula(size, name = "L") {
    const {kernel: k, stride: s, padding: p, dilation: d} = this;
    const out = this.outputSize(size);
    if (this.transposed) {
      return `${name}_out = (${name} − 1)·s − 2p + d(k−1) + 1` +
        ` = (${size} − 1)·${s} − 2·${p} + ${d}·(${k}−1) + 1 = ${out}`;
    }
    const top = size + 2 * p - d * (k - 1) - 1;
    return `${name}_out = ⌊(${name} + 2p − d(k−1) − 1) / s⌋ + 1` +
      ` = ⌊(${size} + 2·${p} − ${d}·(${k}−1) − 1) / ${s}⌋ + 1 = ⌊${top} / ${s}⌋ + 1 = ${out}`;
  }
}

// What output (i, j) of a 2d (transposed) convolution reads (arithmetic.footprint).
export function footprint(height, width, rows, cols, i, j) {
  const tapRows = rows.window(i, height);
  const tapCols = cols.window(j, width);
  const reads = [];
  for (const r of tapRows) {
    for (const c of tapCols) {
      if (r !== null && c !== null && r >= 0 && r < height && c >= 0 && c < width) {
        reads.push([r, c]);
      }
    }
  }
  return {output: [rows.outputSize(height), cols.outputSize(width)], rows: tapRows,
          cols: tapCols, reads};
}

// The PyTorch line for this geometry: one value where both axes agree, defaults left out.
export function layerLine(rows, cols) {
  const name = rows.transposed ? "nn.ConvTranspose2d" : "nn.Conv2d";
  const pair = (a, b) => (a === b ? `${a}` : `(${a}, ${b})`);
  const args = ["1", "1", `kernel_size=${pair(rows.kernel, cols.kernel)}`];
  for (const [key, fallback] of [["stride", 1], ["padding", 0], ["dilation", 1]]) {
    if (rows[key] !== fallback || cols[key] !== fallback) {
      args.push(`${key}=${pair(rows[key], cols[key])}`);
    }
  }
  return `${name}(${args.join(", ")})`;
}

// F.max_pool2d / F.avg_pool2d of one H×W image (no padding); `winners` holds, for max
// pooling, the flat input index each output takes its value from (the first maximum).
export function pool2d(values, height, width, kernel, stride, mode) {
  const rows = poolOutputSize(height, kernel, stride);
  const cols = poolOutputSize(width, kernel, stride);
  const out = new Float32Array(rows * cols);
  const winners = new Int32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let best = -Infinity, where = -1, sum = 0;
      for (let r = i * stride; r < i * stride + kernel; r++) {
        for (let c = j * stride; c < j * stride + kernel; c++) {
          const v = values[r * width + c];
          sum += v;
          if (v > best) { best = v; where = r * width + c; }
        }
      }
      out[i * cols + j] = mode === "max" ? best : sum / (kernel * kernel);
      winners[i * cols + j] = mode === "max" ? where : -1;
    }
  }
  return {rows, cols, values: out, winners};
}

// The response of an H×W image to a 3×3 filter (nine weights, row by row), no padding:
// what F.conv2d (a cross-correlation) gives, (H-2)×(W-2).
export function correlate3x3(values, height, width, weights) {
  const rows = height - 2, cols = width - 2;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let sum = 0;
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) { sum += weights[a * 3 + b] * values[(i + a) * width + j + b]; }
      }
      out[i * cols + j] = sum;
    }
  }
  return {rows, cols, values: out};
}
