"""Data-parallel training with ``DistributedDataParallel`` on the CPU (notebook 07).

``python -m course_utils.distributed --world-size 2 --steps 3`` trains the lecture's network
with two processes, itself (rank 0) and one it starts, that talk through ``torch.distributed``
(gloo backend, on 127.0.0.1 and a free port). At every step each process (rank) takes its
share of the minibatch, DDP averages the gradients across ranks during ``backward``, and every
rank takes the same optimiser step. Rank 0 then prints, per step, the shape of each rank's
share, the loss averaged over ranks, and whether the weights are identical on every rank (they
must be).

With ``--check`` the final weights are also compared with one process training on the whole
minibatches: averaged share gradients equal the full-batch gradient, so they agree.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn import functional as F

from course_utils.models import LectureNet

# On Linux the other ranks are forked from this process: they share its memory (torch's
# libraries included) until they write to it. Elsewhere (macOS, Windows) fork is unsafe or
# missing, and each rank starts a fresh interpreter ("spawn"), which costs a few hundred MB
# more. COURSE_DDP_START_METHOD=spawn forces the latter (tests/test_distributed.py does, on
# Linux, and checks that notebook 07 still fits Binder's 2 GB).
START_METHOD = os.environ.get("COURSE_DDP_START_METHOD") or (
    "fork" if sys.platform.startswith("linux") else "spawn"
)
START_METHODS = ("fork", "spawn")
TIMEOUT_S = 60  # a rank waiting longer than this for the others gives up


@dataclass(frozen=True)
class Config:
    """One run: processes, steps, the global minibatch size, the data size, seed and lr."""

    world_size: int = 2
    steps: int = 3
    batch_size: int = 64
    n_train: int = 512
    seed: int = 0
    lr: float = 0.05

    def __post_init__(self):
        for name in ("world_size", "steps", "batch_size", "n_train"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.batch_size % self.world_size:
            raise ValueError(
                f"batch_size ({self.batch_size}) must be a multiple of world_size "
                f"({self.world_size}) so every rank gets an equal share"
            )
        if self.batch_size > self.n_train:
            raise ValueError(f"batch_size {self.batch_size} exceeds n_train {self.n_train}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def batch_indices(config: Config, step: int) -> torch.Tensor:
    """Indices of the global minibatch of ``step`` (same on every rank: a seeded draw)."""
    generator = torch.Generator().manual_seed(config.seed * 100_003 + step)
    return torch.randperm(config.n_train, generator=generator)[: config.batch_size]


def share(indices: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """Rank ``rank``'s contiguous share of a minibatch's indices (``B / world_size`` of them)."""
    size = len(indices) // world_size
    return indices[rank * size : (rank + 1) * size]


def make_model(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return LectureNet()


def flat_weights(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def _worker(rank: int, config: Config, port: int, x, y, leave: bool = True
            ) -> tuple[list[str], dict]:
    """One rank's training: its report lines and final weights (rank 0's are the run's).

    ``leave``: destroy the process group at the end. Rank 0 hosts the group's store (the
    address all ranks meet at), so :func:`run` has it leave last, once the others have exited:
    a rank whose store vanished while it was leaving was seen to abort.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one core per rank
    dist.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=config.world_size,
        timeout=timedelta(seconds=TIMEOUT_S),
    )
    try:
        model = nn.parallel.DistributedDataParallel(make_model(config.seed))
        optimizer = torch.optim.SGD(model.parameters(), lr=config.lr)
        lines = []
        for step in range(config.steps):
            mine = share(batch_indices(config, step), rank, config.world_size)
            xb, yb = x[mine], y[mine]
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()  # DDP all-reduces (averages) the gradients here
            optimizer.step()
            weights = flat_weights(model.module)
            gathered = [torch.empty_like(weights) for _ in range(config.world_size)]
            dist.all_gather(gathered, weights)
            same = all(torch.equal(gathered[0], w) for w in gathered[1:])
            shapes = [None] * config.world_size
            dist.all_gather_object(shapes, tuple(xb.shape))
            mean_loss = loss.detach().clone()
            dist.all_reduce(mean_loss)
            mean_loss /= config.world_size
            for r, shape in enumerate(shapes):
                lines.append(f"step {step}  rank {r}: batch share {'×'.join(map(str, shape))}")
            lines.append(
                f"step {step}  loss {mean_loss.item():.4f}  weights equal across ranks: {same}"
            )
            if not same:
                raise RuntimeError(f"weights differ across ranks after step {step}")
        return lines, model.module.state_dict()
    finally:
        if leave:
            dist.destroy_process_group()
        torch.set_num_threads(threads)


def _started_rank(index: int, config: Config, port: int, x, y) -> None:
    """What a started process runs: rank ``index + 1`` (rank 0 is the process that started it)."""
    _worker(index + 1, config, port, x, y)


def single_process(config: Config, x: torch.Tensor, y: torch.Tensor) -> dict:
    """The same training in one process on the whole minibatches: its final state dict."""
    model = make_model(config.seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr)
    for step in range(config.steps):
        index = batch_indices(config, step)
        loss = F.cross_entropy(model(x[index]), y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.state_dict()


def load_data(
    n_train: int, synthetic: bool = False, path: str | Path | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``n_train×1×28×28`` and labels ``n_train``: MNIST's first, or random ones.

    ``path``: a file saved with ``torch.save({"x": images, "y": labels})`` (how notebook 07
    hands over the digits it already holds, so this process need not read MNIST again).
    """
    if path is not None:
        saved = torch.load(path, weights_only=True)
        if not isinstance(saved, dict) or not {"x", "y"} <= saved.keys():
            raise ValueError(f"expected {path} to hold a dict with 'x' and 'y', got {type(saved)}")
        if len(saved["x"]) < n_train:
            raise ValueError(f"need {n_train} images in {path}, got {len(saved['x'])}")
        return saved["x"][:n_train], saved["y"][:n_train]
    if synthetic:
        generator = torch.Generator().manual_seed(0)
        x = torch.randn(n_train, 1, 28, 28, generator=generator)
        return x, torch.randint(0, 10, (n_train,), generator=generator)
    from course_utils.training import mnist_data

    data = mnist_data(validation=0, n_train=n_train, n_test=1)
    return data.train_x, data.train_y


def _is_connection_problem(err: Exception) -> bool:
    text = str(err).lower()
    return any(w in text for w in ("address already in use", "connection", "timed out", "eaddr"))


def run(
    config: Config,
    x: torch.Tensor,
    y: torch.Tensor,
    attempts: int = 3,
    start_method: str = START_METHOD,
) -> tuple[list[str], dict]:
    """Train with ``config.world_size`` processes; return rank 0's report lines and weights.

    ``x`` is ``N×1×28×28`` and ``y`` is ``N`` with ``N >= config.n_train``. This process is
    rank 0; the others are started by ``start_method`` ("fork" or "spawn"). A run that fails
    to connect (its port taken meanwhile) is tried again on another port, ``attempts`` times.
    """
    if len(x) < config.n_train or len(y) != len(x):
        raise ValueError(f"need {config.n_train} images and labels, got {len(x)} and {len(y)}")
    if start_method not in START_METHODS:
        raise ValueError(f"start_method must be one of {START_METHODS}, got {start_method!r}")
    if not isinstance(attempts, int) or attempts < 1:
        raise ValueError(f"attempts must be a positive int, got {attempts!r}")
    if sys.platform.startswith("linux"):
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    x, y = x[: config.n_train], y[: config.n_train]
    for attempt in range(1, attempts + 1):
        port = free_port()
        others = mp.start_processes(
            _started_rank,
            args=(config, port, x, y),
            nprocs=config.world_size - 1,
            join=False,
            start_method=start_method,
        )
        try:
            lines, state = _worker(0, config, port, x, y, leave=False)
            while not others.join():
                pass
            return lines, state
        except Exception as err:
            failure = err
            try:
                others.join(timeout=10)  # a rank that failed first says why
            except (mp.ProcessRaisedException, mp.ProcessExitedException) as err_of_rank:
                failure = err_of_rank
            for process in others.processes:
                if process.is_alive():
                    process.terminate()
                process.join()
            # the free port can be taken by another program before rank 0 binds it
            if attempt == attempts or not _is_connection_problem(failure):
                if failure is err:
                    raise
                raise failure from err
        finally:
            if dist.is_initialized():  # rank 0 leaves last (see _worker)
                dist.destroy_process_group()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world-size", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n-train", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--synthetic", action="store_true", help="random images, not MNIST")
    parser.add_argument("--data", help="a torch.save'd dict of images 'x' and labels 'y'")
    parser.add_argument("--check", action="store_true", help="compare with one process")
    parser.add_argument("--start-method", choices=START_METHODS, default=START_METHOD,
                        help=f"how the ranks start (default here: {START_METHOD})")
    args = parser.parse_args(argv)
    config = Config(args.world_size, args.steps, args.batch_size, args.n_train, args.seed)
    x, y = load_data(config.n_train, args.synthetic, args.data)
    print(
        f"{config.world_size} processes (gloo, CPU), global minibatch {config.batch_size}, "
        f"{config.steps} steps"
    )
    lines, state = run(config, x, y, start_method=args.start_method)
    print("\n".join(lines))
    if args.check:
        reference = single_process(config, x, y)
        gap = max((state[k] - reference[k]).abs().max().item() for k in reference)
        agree = gap < 1e-5
        print(f"same weights as one process on the whole minibatches: {agree}")
        if not agree:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
