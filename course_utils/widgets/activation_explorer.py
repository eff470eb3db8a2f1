"""Inside a trained MNIST network: pick a test digit, see its conv1 and conv2 maps (notebook 07).

The figure shows the digit, the 32 maps the first convolution computes from it, the 64 maps of
the second, each set tiled into one mosaic (one panel per layer keeps redraws fast), and the
ten predicted probabilities with the true class marked.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure
from torch import nn

from course_utils.viz import signed_limit
from course_utils.widgets import Explorer


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
    """Runs ``model`` on one image and keeps the outputs of the named layers (forward hooks)."""

    def __init__(self, model: nn.Module, layers: tuple[str, ...] = ("conv1", "conv2")):
        modules = dict(model.named_modules())
        missing = [name for name in layers if name not in modules]
        if missing:
            raise ValueError(f"the model has no layer named {missing}; it has {list(modules)[1:]}")
        self.model = model
        self.layers = tuple(layers)
        self.outputs: dict[str, torch.Tensor] = {}
        for name in self.layers:
            modules[name].register_forward_hook(self._keeper(name))

    def _keeper(self, name: str):
        def keep(_module, _inputs, output):
            self.outputs[name] = output.detach()[0].cpu()

        return keep

    @torch.no_grad()
    def __call__(self, image: torch.Tensor) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Maps per layer (``C×H×W`` each) and the probabilities (``10``) for ``1×28×28``."""
        self.model.eval()
        device = next(self.model.parameters()).device
        scores = self.model(image.unsqueeze(0).to(device))
        return dict(self.outputs), scores.softmax(1)[0].cpu()


class ActivationFigure:
    """A figure drawn once and then updated in place (fast redraws): digit, mosaics, bars."""

    NCOLS = 8

    def __init__(self, maps: dict[str, torch.Tensor], n_classes: int = 10):
        n = len(maps)
        self.fig = Figure(figsize=(2.2 + 2.4 * n + 2.4, 2.7))
        grid = self.fig.add_gridspec(
            1, n + 2, width_ratios=[1.0] + [1.6] * n + [1.3],
            left=0.02, right=0.98, bottom=0.12, top=0.86, wspace=0.25,
        )
        ax = self.fig.add_subplot(grid[0])
        ax.set_axis_off()
        self.digit = ax.imshow(torch.zeros(28, 28).numpy(), cmap="gray_r", interpolation="nearest")
        self.digit_title = ax.set_title("", fontsize=9)
        self.mosaics = {}
        for k, (name, m) in enumerate(maps.items(), start=1):
            ax = self.fig.add_subplot(grid[k])
            ax.set_axis_off()
            ax.set_title(f"{name}: {m.shape[0]} maps {m.shape[1]}×{m.shape[2]}", fontsize=9)
            tiles = mosaic(m, self.NCOLS).numpy()
            self.mosaics[name] = ax.imshow(tiles, cmap="RdBu_r", interpolation="nearest")
        ax = self.fig.add_subplot(grid[n + 1])
        self.bars = ax.barh(range(n_classes), [0.0] * n_classes, color="#1f77b4")
        ax.set_yticks(range(n_classes))
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.tick_params(labelsize=8)
        self.bars_title = ax.set_title("", fontsize=9)

    def update(
        self, image: torch.Tensor, maps: dict[str, torch.Tensor], probs: torch.Tensor, label: int
    ) -> Figure:
        self.digit.set_data(image.reshape(28, 28).numpy())
        self.digit.set_clim(float(image.min()), float(image.max()))
        self.digit_title.set_text(f"test digit (label {label})")
        for name, m in maps.items():
            vmax = signed_limit(m)
            self.mosaics[name].set_data(mosaic(m, self.NCOLS).numpy())
            self.mosaics[name].set_clim(-vmax, vmax)
        predicted = int(probs.argmax())
        for k, (bar, p) in enumerate(zip(self.bars, probs.tolist(), strict=True)):
            bar.set_width(p)
            right = "#2ca02c" if predicted == label else "#d62728"
            bar.set_color(right if k == predicted else "#1f77b4")
        self.bars_title.set_text(f"predicted {predicted} ({probs[predicted]:.1%})")
        return self.fig


def draw_activations(
    image: torch.Tensor, maps: dict[str, torch.Tensor], probs: torch.Tensor, label: int
) -> Figure:
    """The digit (``28×28``), each layer's maps (``C×H×W``) as a mosaic, the probabilities."""
    return ActivationFigure(maps, len(probs)).update(image, maps, probs, label)


class ActivationExplorer(Explorer):
    """Pick a test digit; see the conv1 and conv2 maps and the predicted probabilities.

    ``model`` maps ``N×1×28×28`` to ``N×10`` and has modules ``conv1`` and ``conv2``;
    ``images`` are ``N×1×28×28`` (as the model takes them), ``labels`` are ``N``.
    """

    def __init__(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor, index=0):
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 1:
            raise ValueError(
                f"expected images N×1×H×W, got {getattr(images, 'shape', type(images))}"
            )
        if not isinstance(labels, torch.Tensor) or labels.shape != images.shape[:1]:
            raise ValueError(
                f"expected {len(images)} labels, got {getattr(labels, 'shape', type(labels))}"
            )
        self.images, self.labels = images, labels
        self.recorder = ActivationRecorder(model)
        self.figure: ActivationFigure | None = None
        slider = widgets.IntSlider(
            value=int(index), min=0, max=len(images) - 1, description="test digit",
            continuous_update=False,
        )
        super().__init__({"index": slider}, self.draw_index, title="Activation maps")

    def draw_index(self, index: int) -> Figure:
        if not isinstance(index, int) or not 0 <= index < len(self.images):
            raise ValueError(f"index must be in [0, {len(self.images) - 1}], got {index!r}")
        image = self.images[index].cpu()
        maps, probs = self.recorder(image)
        if self.figure is None:
            self.figure = ActivationFigure(maps, len(probs))
        return self.figure.update(image, maps, probs, int(self.labels[index]))
