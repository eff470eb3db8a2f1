"""Inside a trained MNIST network: a digit, its activation maps, its class probabilities.

Pick a test digit, or draw one on the pad, then a layer and a map (the browser,
``activation_explorer.js``, shows that map enlarged beside the learned filter that made it),
and a unit of that map, opened up: what each input channel contributes to it, their sum, the
bias and the ReLU. Notebook 07.

Where the network runs: in JupyterLab, Notebook 7 or Colab the kernel runs it on the chosen
test digit, or on the drawing (its ink comes from the page, :func:`course_utils.digits.
drawn_digit` makes it an MNIST digit), and sends the maps of ``conv1`` and ``conv2``, their
inputs and the ten probabilities. On a page without a kernel (the course's website, a deck) the
page runs the same network, exported to ONNX by :mod:`course_utils.onnx_export`, in ONNX
Runtime Web: on the drawing (made an MNIST digit in the page, as ``drawn_digit`` does) and on
the test digits of the bank this class sends (:func:`course_utils.widgets.digit_bank`): their
maps are computed in the page, not shipped.
"""

from __future__ import annotations

import math

import torch
import traitlets
from matplotlib.figure import Figure
from torch import nn

from course_utils import digits
from course_utils.onnx_export import weights_digest
from course_utils.viz import signed_limit
from course_utils.widgets import Explorer, binary, digit_bank, es_module, float32_bytes


def mosaic(maps: torch.Tensor, ncols: int, gap: int = 1) -> torch.Tensor:
    """Tile maps ``C×H×W`` into one ``rows·(H+gap)-gap × ncols·(W+gap)-gap`` image (NaN gaps)."""
    if not isinstance(maps, torch.Tensor) or maps.dim() != 3:
        raise ValueError(f"expected maps C×H×W, got {getattr(maps, 'shape', type(maps))}")
    c, h, w = maps.shape
    nrows = math.ceil(c / ncols)
    out = torch.full((nrows * (h + gap) - gap, ncols * (w + gap) - gap), float("nan"))
    for i in range(c):
        r, k = divmod(i, ncols)
        out[r * (h + gap) : r * (h + gap) + h, k * (w + gap) : k * (w + gap) + w] = maps[i]
    return out


class ActivationRecorder:
    """Runs ``model`` on one image and keeps the outputs of the named layers (forward hooks),
    and their inputs (``inputs``, after a call)."""

    def __init__(self, model: nn.Module, layers: tuple[str, ...] = ("conv1", "conv2")):
        modules = dict(model.named_modules())
        missing = [name for name in layers if name not in modules]
        if missing:
            raise ValueError(f"the model has no layer named {missing}; it has {list(modules)[1:]}")
        self.model = model
        self.layers = {name: modules[name] for name in layers}
        self.outputs: dict[str, torch.Tensor] = {}
        self.inputs: dict[str, torch.Tensor] = {}
        for name, module in self.layers.items():
            module.register_forward_hook(self._keeper(name))

    def _keeper(self, name: str):
        def keep(_module, inputs, output):
            self.inputs[name] = inputs[0].detach()[0].cpu()
            self.outputs[name] = output.detach()[0].cpu()

        return keep

    @torch.no_grad()
    def __call__(self, image: torch.Tensor) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Maps per layer (``C×H×W`` each) and the probabilities (``10``) for ``1×28×28``."""
        self.model.eval()
        device = next(self.model.parameters()).device
        scores = self.model(image.unsqueeze(0).to(device))
        return dict(self.outputs), scores.softmax(1)[0].cpu()


def draw_activations(
    image: torch.Tensor, maps: dict[str, torch.Tensor], probs: torch.Tensor, label: int | None
) -> Figure:
    """The digit (``28×28``), each layer's maps (``C×H×W``) as a mosaic, the probabilities;
    ``label`` None for a drawn digit."""
    n = len(maps)
    fig = Figure(figsize=(2.2 + 2.4 * n + 2.4, 2.7))
    grid = fig.add_gridspec(1, n + 2, width_ratios=[1.0] + [1.6] * n + [1.3], left=0.02,
                            right=0.98, bottom=0.12, top=0.86, wspace=0.25)
    ax = fig.add_subplot(grid[0])
    ax.set_axis_off()
    ax.imshow(image.reshape(28, 28).numpy(), cmap="gray_r", interpolation="nearest")
    ax.set_title("your drawing" if label is None else f"test digit (label {label})", fontsize=9)
    for k, (name, m) in enumerate(maps.items(), start=1):
        ax = fig.add_subplot(grid[k])
        ax.set_axis_off()
        ax.set_title(f"{name}: {m.shape[0]} maps {m.shape[1]}×{m.shape[2]}", fontsize=9)
        limit = signed_limit(m)
        ax.imshow(mosaic(m, 8).numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit,
                  interpolation="nearest")
    ax = fig.add_subplot(grid[n + 1])
    predicted = int(probs.argmax())
    right = "#0072B2" if label is None else "#009E73" if predicted == label else "#D55E00"
    ax.barh(range(len(probs)), probs.tolist(),
            color=[right if k == predicted else "#56B4E9" for k in range(len(probs))])
    ax.set_yticks(range(len(probs)))
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.tick_params(labelsize=8)
    ax.set_title(f"predicted {predicted} ({probs[predicted]:.1%})", fontsize=9)
    return fig


class ActivationExplorer(Explorer):
    """Pick a test digit or draw one, a layer, a map and a unit: the map beside its filter, the
    unit opened up, and the probabilities.

    ``model`` maps ``N×1×28×28`` to ``N×10`` and has modules ``conv1`` and ``conv2``
    (``nn.Conv2d``); ``images`` are ``N×1×28×28`` (as the model takes them), ``labels`` ``N``.
    A drawing arrives as ``ink`` (the page's pad, ``digits.PAD``² bytes); empty ink shows the
    test digit ``index`` again.
    """

    _esm = es_module("activation_explorer.js")
    REPR = ("index",)
    index = traitlets.Int(0).tag(sync=True)
    count = traitlets.Int(1).tag(sync=True)
    layer = traitlets.Unicode("conv1").tag(sync=True)
    channel = traitlets.Int(0).tag(sync=True)
    unit = traitlets.List(traitlets.Int(), [0, 0]).tag(sync=True)  # [row, col] in the map
    layers = traitlets.List(traitlets.Dict()).tag(sync=True)  # name, maps, filters, inputs
    filters = traitlets.Dict().tag(sync=True)  # name -> float32 bytes, sent once
    biases = traitlets.Dict().tag(sync=True)  # name -> float32 bytes, sent once
    maps = traitlets.Dict().tag(sync=True)  # name -> float32 bytes for the current digit
    inputs = traitlets.Dict().tag(sync=True)  # name -> the layer's input, float32 bytes
    image = binary()  # the digit as the network takes it, float32 28×28
    probabilities = traitlets.List(traitlets.Float()).tag(sync=True)
    label = traitlets.Int(0).tag(sync=True)  # -1 for a drawing
    ink = binary()  # the drawing pad's ink from the page, uint8 PAD×PAD; b"": a test digit
    drawn = traitlets.Bool(False).tag(sync=True)  # whether the maps are the drawing's
    error = traitlets.Unicode("").tag(sync=True)  # why the last drawing was not used
    preprocessing = traitlets.Dict().tag(sync=True)  # course_utils.digits' numbers
    bank = traitlets.List(traitlets.Int()).tag(sync=True)  # digits for a page without a kernel
    bank_images = binary()  # their pixels as the network takes them, float32, one after another
    bank_labels = traitlets.List(traitlets.Int()).tag(sync=True)
    digest = traitlets.Unicode("").tag(sync=True)  # the network's weights (onnx_export)

    def __init__(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor, index=0):
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 1:
            raise ValueError(
                f"expected images N×1×H×W, got {getattr(images, 'shape', type(images))}"
            )
        if not isinstance(labels, torch.Tensor) or labels.shape != images.shape[:1]:
            raise ValueError(
                f"expected {len(images)} labels, got {getattr(labels, 'shape', type(labels))}"
            )
        if not 0 <= index < len(images):
            raise ValueError(f"index must be in [0, {len(images) - 1}], got {index!r}")
        self.images, self.labels = images, labels
        self.recorder = ActivationRecorder(model)
        self.drawing: torch.Tensor | None = None  # the drawn digit, 1×28×28, when drawn
        maps, _ = self.recorder(images[0].cpu())
        inputs = self.recorder.inputs
        layers = [dict(name=name, maps=list(maps[name].shape), inputs=list(inputs[name].shape),
                       filters=list(module.weight.shape))
                  for name, module in self.recorder.layers.items()]
        convolutions = self.recorder.layers
        bank = digit_bank(int(index), len(images))
        super().__init__(
            index=int(index), count=len(images), layers=layers,
            filters={name: float32_bytes(m.weight) for name, m in convolutions.items()},
            biases={name: float32_bytes(m.bias) for name, m in convolutions.items()},
            preprocessing=dict(pad=digits.PAD, side=digits.SIDE, box=digits.BOX,
                               tie=digits.TIE, mean=digits.MNIST_MEAN, std=digits.MNIST_STD),
            bank=bank, bank_images=float32_bytes(images[bank]),
            bank_labels=[int(labels[k]) for k in bank], digest=weights_digest(model),
        )
        self.observe(self._send_digit, names="index")
        self.observe(self._on_ink, names="ink")
        self._send_digit()

    def activations(self, index: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Maps per layer (``C×H×W``) and the ten probabilities for test digit ``index``."""
        if not isinstance(index, int) or not 0 <= index < len(self.images):
            raise ValueError(f"index must be in [0, {len(self.images) - 1}], got {index!r}")
        return self.recorder(self.images[index].cpu())

    def _show(self, image: torch.Tensor, label: int) -> None:
        maps, probs = self.recorder(image)
        with self.hold_sync():
            self.image = float32_bytes(image)
            self.maps = {name: float32_bytes(m) for name, m in maps.items()}
            self.inputs = {name: float32_bytes(x) for name, x in self.recorder.inputs.items()}
            self.probabilities = probs.tolist()
            self.label = label
            self.drawn = self.drawing is not None
            self.error = ""

    def _send_digit(self, _change=None) -> None:
        self.drawing = None
        self._show(self.images[self.index].cpu(), int(self.labels[self.index]))

    def _on_ink(self, change) -> None:
        if not change["new"]:
            self._send_digit()
            return
        try:
            drawing = digits.drawn_digit(change["new"])
        except ValueError as err:
            self.error = str(err)
            return
        self.drawing = drawing
        self._show(drawing, -1)

    def draw_index(self, index: int) -> Figure:
        """The still picture for test digit ``index``: digit, maps, probabilities."""
        maps, probs = self.activations(index)
        return draw_activations(self.images[index].cpu(), maps, probs, int(self.labels[index]))

    def figure(self) -> Figure:
        """The still picture for the current digit, or the drawing (:meth:`draw_index`)."""
        if self.drawing is None:
            return self.draw_index(self.index)
        maps, probs = self.recorder(self.drawing)
        return draw_activations(self.drawing, maps, probs, None)
