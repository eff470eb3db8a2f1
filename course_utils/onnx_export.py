"""Models leave Python here: the course's networks in ONNX, for pages that run them themselves.

A page built from a notebook (the course's website, its slide decks) has no kernel. Its
explorers run the networks in the page instead, in ONNX Runtime Web (npm ``onnxruntime-web``,
pinned in tools/web-assets; its WebAssembly backend, one thread): notebook 07's trained
LectureNet answers a digit drawn on the activation explorer's pad, SqueezeNet a photo chosen in
the photo classifier. Both are exported here by ``torch.onnx`` (the dynamo exporter, PyPI
``onnx`` and ``onnxscript``); the page never carries a forward pass of its own. LectureNet's
export also gives, for each convolution, its output (the activation maps the explorer shows)
and its input (for the explorer's view of one unit, opened up).

:func:`write_page_assets` writes everything the page needs into its asset folder, in a form
that loads from a web server and from disk (file://, where a page may not fetch() a file):
the runtime's ``ort.wasm.min.js`` as the npm package has it (a classic script), and each
binary file (the models, the runtime's ``.wasm`` and its ``.mjs`` glue) as a classic script
that defines its bytes, gzip-compressed and base64-encoded (:func:`pack`), with the page-side
loader ``course-onnx.js`` (course_utils/onnx_page.js) that unpacks them and starts a session.
:func:`run` runs an export in Python's ``onnxruntime``, to compare it with PyTorch.
"""

from __future__ import annotations

import base64
import copy
import functools
import gzip
import hashlib
import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from course_utils.data import repo_root

FOLDER = "onnx"  # where the files go inside a page's asset folder (the explorers load them)
RUNTIME = "ort.wasm.min.js"  # ONNX Runtime Web's WebAssembly-only build, a classic script
GLUE, WASM = "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"
LOADER = "course-onnx.js"
LECTURE_NET, SQUEEZENET = "lecture-net.onnx", "squeezenet.onnx"
LAYERS = ("conv1", "conv2")  # LectureNet's layers whose maps and inputs the export gives
OPSET = 18
_PACK = re.compile(r'^\(globalThis\.courseOnnxFiles \|\|= \{\}\)\[("[^"]+")\] = (\{.*\});$',
                   re.M)


def _onnx():
    """``onnx`` (installed with the course's test and site tools, not for learners)."""
    try:
        import onnx
    except ImportError as err:
        raise ImportError(
            "exporting to ONNX needs the packages onnx and onnxscript (and onnxruntime to run "
            "an export): pip install onnx onnxscript onnxruntime"
        ) from err
    return onnx


def weights_digest(model: nn.Module) -> str:
    """A fingerprint of a network's weights (its state dict's names, shapes and bytes): the
    page checks that the network it runs is the one a notebook's explorer was made with."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(model).__name__}")
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        values = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{values.dtype}:{list(values.shape)};".encode())
        digest.update(values.numpy().tobytes())
    return digest.hexdigest()[:16]


def to_onnx(model: nn.Module, example: torch.Tensor, layers: Sequence[str] = ()):
    """``model`` exported by ``torch.onnx`` (dynamo) as an ``onnx.ModelProto``.

    Input ``image``: ``example``'s shape, any batch size (``N×...``). Outputs: ``scores``
    (the model's, ``N×classes``), ``probabilities`` (their softmax) and, for each module
    named in ``layers`` (convolutions), ``<name>`` (its output) and ``<name>.input``.
    """
    onnx = _onnx()
    from onnx import helper

    if not isinstance(example, torch.Tensor) or example.dim() < 2:
        got = tuple(example.shape) if isinstance(example, torch.Tensor) else type(example)
        raise ValueError(f"expected an example input N×..., got {got}")
    modules = dict(model.named_modules())
    missing = [name for name in layers if not isinstance(modules.get(name), nn.Conv2d)]
    if missing:
        convolutions = [n for n, m in modules.items() if isinstance(m, nn.Conv2d)]
        raise ValueError(f"no convolution named {missing} in the model; it has {convolutions}")
    model = copy.deepcopy(model).cpu().eval()  # the caller's model stays where and as it is
    program = torch.onnx.export(
        model, (example.cpu(),), dynamo=True, opset_version=OPSET, input_names=["image"],
        output_names=["scores"], dynamic_shapes=({0: torch.export.Dim("batch")},),
        verbose=False,
    )
    proto = program.model_proto
    graph = proto.graph
    extra = [("probabilities", helper.make_node("Softmax", ["scores"], ["probabilities"],
                                                axis=1))]
    for name in layers:  # the Conv node that reads this module's weight
        (conv,) = [n for n in graph.node if n.op_type == "Conv" and f"{name}.weight" in n.input]
        extra += [(name, helper.make_node("Identity", [conv.output[0]], [name])),
                  (f"{name}.input", helper.make_node("Identity", [conv.input[0]],
                                                     [f"{name}.input"]))]
    graph.node.extend(node for _, node in extra)
    inferred = {v.name: v for v in onnx.shape_inference.infer_shapes(proto).graph.value_info}
    graph.output.extend(inferred[output] for output, _ in extra)
    onnx.checker.check_model(proto)
    return proto


# Exports made in this process, by what and the weights' digest: the site and the decks,
# built one after the other, export each network once.
_EXPORTS: dict[tuple[str, str], bytes] = {}


def _exported(what: str, model: nn.Module, example: torch.Tensor, layers=()) -> bytes:
    key = (what, weights_digest(model))
    if key not in _EXPORTS:
        _EXPORTS[key] = to_onnx(model, example, layers).SerializeToString()
    return _EXPORTS[key]


def lecture_net_onnx(model: nn.Module) -> bytes:
    """A LectureNet (``N×1×28×28`` → ``N×10``) as ONNX bytes, with the maps of ``conv1`` and
    ``conv2`` and their inputs as outputs too (:func:`to_onnx`)."""
    return _exported(LECTURE_NET, model, torch.zeros(1, 1, 28, 28), LAYERS)


def squeezenet_onnx(model: nn.Module | None = None) -> bytes:
    """SqueezeNet v1.0 (``N×3×227×227`` Caffe-preprocessed → ``N×1000``) as ONNX bytes;
    ``model`` defaults to the course's (:func:`course_utils.squeezenet.load_squeezenet`)."""
    from course_utils.squeezenet import CROP, load_squeezenet

    model = load_squeezenet() if model is None else model
    return _exported(SQUEEZENET, model, torch.zeros(1, 3, CROP, CROP))


def run(model_bytes: bytes, image: torch.Tensor) -> dict[str, np.ndarray]:
    """Every output of an exported model for ``image`` (``N×...``), by Python's onnxruntime
    (CPU, one thread): ``{name: array}``."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(model_bytes, options,
                                           providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    values = session.run(names, {"image": image.detach().cpu().numpy().astype(np.float32)})
    return dict(zip(names, values, strict=True))


def pack(name: str, data: bytes, meta: dict | None = None) -> str:
    """A classic script that defines a file's bytes for a page: it sets
    ``globalThis.courseOnnxFiles[name]`` to ``{size, sha256, meta, gzip}`` (``gzip``: the
    bytes gzip-compressed, in base64; ``meta``: JSON that goes with them)."""
    return _pack(name, bytes(data), json.dumps(meta or {}, sort_keys=True))


@functools.lru_cache(maxsize=8)  # the runtime's 14 MB take a second to compress
def _pack(name: str, data: bytes, meta: str) -> str:
    entry = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
             "meta": json.loads(meta),
             "gzip": base64.b64encode(gzip.compress(data, compresslevel=9, mtime=0)).decode()}
    return (f"// {name}: written by course_utils.onnx_export ({len(data):,} bytes, gzip and "
            f"base64); unpacked by {LOADER}.\n"
            f"(globalThis.courseOnnxFiles ||= {{}})[{json.dumps(name)}] = "
            f"{json.dumps(entry, separators=(',', ':'))};\n")


def unpack(script: str) -> tuple[str, bytes, dict]:
    """What :func:`pack` wrote: ``(name, bytes, meta)``; ``ValueError`` if the script is not
    a pack or its bytes do not match their size and sha256."""
    found = _PACK.search(script)
    if not found:
        raise ValueError(f"expected a script written by pack(), got {script[:60]!r}...")
    name, entry = json.loads(found.group(1)), json.loads(found.group(2))
    data = gzip.decompress(base64.b64decode(entry["gzip"]))
    if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise ValueError(f"the pack of {name} is damaged: its bytes do not match their sha256")
    return name, data, entry["meta"]


def runtime_dir() -> Path:
    """ONNX Runtime Web's files, as ``npm ci`` installs them in tools/web-assets."""
    root = repo_root()
    folder = (root or Path.cwd()) / "tools" / "web-assets" / "node_modules" / "onnxruntime-web"
    return folder / "dist"


def _lecture_net(lecture_net) -> nn.Module:
    from course_utils.checkpoints import CheckpointError, default_checkpoint, load_checkpoint
    from course_utils.models import LectureNet

    if isinstance(lecture_net, nn.Module):
        return lecture_net
    if lecture_net is not None and not isinstance(lecture_net, (str, Path)):
        raise TypeError(f"expected a LectureNet, a checkpoint's path or None, got "
                        f"{type(lecture_net).__name__}")
    path = Path(lecture_net) if lecture_net is not None else default_checkpoint()
    model = LectureNet()
    try:
        load_checkpoint(path, model)
    except CheckpointError as err:
        raise CheckpointError(
            f"the page's network is notebook 07's trained LectureNet, and {err}: run notebook "
            "07 first (make execute NB=notebooks/07-mnist-convnet.ipynb saves it there)"
        ) from err
    return model


def write_page_assets(folder, lecture_net=None, squeezenet: nn.Module | None = None,
                      runtime: Path | None = None) -> list[Path]:
    """Write what the in-page networks need into ``folder/onnx/``; the files written.

    ``folder``: a page's asset folder (``window.courseHost.assets``). ``lecture_net``: the
    trained LectureNet, or the path of its checkpoint (default: notebook 07's,
    :func:`course_utils.checkpoints.default_checkpoint`). ``squeezenet``: default the course's.
    ``runtime``: ONNX Runtime Web's ``dist`` folder (default :func:`runtime_dir`). The files:
    ``ort.wasm.min.js`` (copied), ``course-onnx.js`` (the loader), and packs (:func:`pack`) of
    the runtime's ``.mjs`` and ``.wasm``, ``lecture-net.onnx`` (meta: its weights' digest) and
    ``squeezenet.onnx`` (meta: the class names and the preprocessing's numbers).
    """
    from course_utils.pretrained import CATEGORIES
    from course_utils.squeezenet import CAFFE_MEAN_BGR, CROP, RESIZE

    runtime = Path(runtime) if runtime is not None else runtime_dir()
    missing = [f for f in (RUNTIME, GLUE, WASM) if not (runtime / f).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{runtime} lacks {', '.join(missing)}: run `npm ci` in tools/web-assets "
            "(make web-assets) to install onnxruntime-web"
        )
    net = _lecture_net(lecture_net)
    out = Path(folder) / FOLDER
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(runtime / RUNTIME, out / RUNTIME)
    shutil.copyfile(Path(__file__).with_name("onnx_page.js"), out / LOADER)
    files = {
        GLUE: ((runtime / GLUE).read_bytes(), {}),
        WASM: ((runtime / WASM).read_bytes(), {}),
        LECTURE_NET: (lecture_net_onnx(net), {"digest": weights_digest(net)}),
        SQUEEZENET: (squeezenet_onnx(squeezenet), {
            "categories": list(CATEGORIES), "resize": RESIZE, "crop": CROP,
            "mean_bgr": list(CAFFE_MEAN_BGR)}),
    }
    for name, (data, meta) in files.items():
        (out / f"{name}.js").write_text(pack(name, data, meta), encoding="utf-8")
    return [out / RUNTIME, out / LOADER, *(out / f"{name}.js" for name in files)]
