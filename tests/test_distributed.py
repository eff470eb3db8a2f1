"""Tests for course_utils.distributed: two gloo processes on the CPU train the lecture's net."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import torch
from torch.nn import functional as F
from tree_memory import TreeMemory

from course_utils.distributed import (
    Config,
    batch_indices,
    free_port,
    load_data,
    main,
    make_model,
    run,
    share,
    single_process,
)
from course_utils.training import mnist_data

BINDER_BYTES = 2 * 1024**3
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "07-mnist-convnet.ipynb"


def test_shares_split_the_minibatch_evenly():
    config = Config(world_size=2, batch_size=8, n_train=20)
    index = batch_indices(config, step=0)
    assert len(index) == 8 and torch.equal(index, batch_indices(config, step=0))
    parts = [share(index, r, 2) for r in range(2)]
    assert torch.equal(torch.cat(parts), index)
    assert not torch.equal(index, batch_indices(config, step=1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"world_size": 0}, "world_size must be a positive int, got 0"),
        ({"batch_size": 7}, r"batch_size \(7\) must be a multiple of world_size \(2\)"),
        ({"batch_size": 64, "n_train": 32}, "batch_size 64 exceeds n_train 32"),
    ],
)
def test_bad_configs_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Config(**kwargs)


def test_free_port_can_be_bound():
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", port))  # raises OSError if the port were taken
        assert s.getsockname()[1] == port


def one_process_losses(config: Config, x: torch.Tensor, y: torch.Tensor) -> list[float]:
    """The oracle: each step's loss of one process training on the whole minibatches."""
    model = make_model(config.seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr)
    losses = []
    for step in range(config.steps):
        index = batch_indices(config, step)
        loss = F.cross_entropy(model(x[index]), y[index])
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


def expected_lines(config: Config, x: torch.Tensor, y: torch.Tensor) -> list[str]:
    """Rank 0's report, as one process predicts it: shares of B / 2, the whole batch's loss."""
    share_shape = f"{config.batch_size // config.world_size}×1×28×28"
    lines = []
    for step, loss in enumerate(one_process_losses(config, x, y)):
        lines += [f"step {step}  rank {r}: batch share {share_shape}" for r in range(2)]
        lines.append(f"step {step}  loss {loss:.4f}  weights equal across ranks: True")
    return lines


def test_two_processes_keep_equal_weights_and_match_one_process():
    config = Config(world_size=2, steps=2, batch_size=16, n_train=32)
    x, y = load_data(config.n_train, synthetic=True)
    lines, state = run(config, x, y)
    assert lines == expected_lines(config, x, y)
    reference = single_process(config, x, y)
    assert all(torch.allclose(state[k], reference[k], atol=1e-5) for k in reference)
    with pytest.raises(ValueError, match="need 32 images and labels, got 10 and 10"):
        run(config, x[:10], y[:10])
    with pytest.raises(ValueError, match=r"start_method must be one of \('fork', 'spawn'\)"):
        run(config, x, y, start_method="forkserver")


def test_main_rejects_uneven_batches():
    with pytest.raises(ValueError, match=r"batch_size \(7\) must be a multiple of world_size"):
        main(["--batch-size", "7", "--synthetic"])


def test_data_handed_over_in_a_file(tmp_path):
    x, y = load_data(8, synthetic=True)
    path = tmp_path / "digits.pt"
    torch.save({"x": x, "y": y}, path)
    got_x, got_y = load_data(6, path=path)
    assert torch.equal(got_x, x[:6]) and torch.equal(got_y, y[:6])
    with pytest.raises(ValueError, match="need 9 images"):
        load_data(9, path=path)
    torch.save({"images": x}, path)
    with pytest.raises(ValueError, match="a dict with 'x' and 'y'"):
        load_data(6, path=path)


def notebook_cells(*markers: str) -> list[str]:
    """The sources of notebook 07's code cells holding each marker, in the order given."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return [next(s for s in sources if marker in s) for marker in markers]


@pytest.mark.slow
def test_the_notebooks_ddp_cell_with_spawned_ranks(tmp_path):
    """Notebook 07's DDP cell as macOS and Windows run it (spawned ranks), here on Linux.

    A fresh process stands in for the kernel: it runs the notebook's import cell, data cell and
    DDP cell (whose own asserts must hold). Its report must be what one process predicts, and
    the peak memory of the stand-in and all its children must stay within Binder's 2 GB.
    """
    script = tmp_path / "kernel.py"
    script.write_text("\n\n".join(notebook_cells(
        "from course_utils import checkpoints", "training.mnist_data(device", "--world-size"
    )))
    env = {**os.environ, "COURSE_DDP_START_METHOD": "spawn", "MPLBACKEND": "Agg"}
    kernel = subprocess.Popen([sys.executable, str(script)], cwd=NOTEBOOK.parent, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeMemory(psutil.Process(kernel.pid), every=0.05) as memory:
        out, err = kernel.communicate(timeout=600)
    assert kernel.returncode == 0, err
    report = out[out.index("2 processes (gloo, CPU)"):].strip().splitlines()
    assert report[0] == "2 processes (gloo, CPU), global minibatch 64, 3 steps"
    digits = mnist_data(validation=5_000, seed=0, n_test=1)  # the notebook's training digits
    config = Config(world_size=2, steps=3, batch_size=64, n_train=256)
    assert report[1:-1] == expected_lines(config, digits.train_x[:256], digits.train_y[:256])
    assert report[-1] == "same weights as one process on the whole minibatches: True"
    print(f"notebook 07's DDP cell, spawned ranks: stand-in kernel + children peak "
          f"{memory.peak / 2**20:.0f} MiB (PSS)")
    assert 0 < memory.peak < BINDER_BYTES
