"""Time to 99% MNIST test accuracy: the course's recipe against pytorch/examples' (notebook 07).

Both train on the same in-memory tensors, notebook 07's 55,000 training digits (the other 5,000
are its validation set), in one run:

- course: ``LectureNet`` trained by ``course_utils.training.fit``, the loop notebook 07 teaches,
  with its recipe (AdamW, one-cycle schedule peaking at 3e-3, batch 128, 2 epochs);
- reference: the pytorch/examples MNIST recipe (conv 32 3×3, conv 64 3×3, max-pool 2, dropout
  0.25, fc 9216→128, dropout 0.5, fc 128→10; Adadelta lr 1.0, StepLR gamma 0.7, batch 64).

Every ``--eval-every`` optimiser steps (a hook on every optimiser's step) the 10,000 test
images are scored: a measurement of the recipes, not a choice between them. Evaluation is not
counted in the training time. Wall-clock and CPU seconds (all threads) are both printed: on a
shared machine the CPU seconds are the steadier figure. The reference is slow on 2 cores, so
each recipe stops at 99% or after ``--max-seconds`` of training.

    python benchmarks/bench_mnist_training.py --max-seconds 300
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.nn import functional as F
from torch.optim.optimizer import register_optimizer_step_post_hook

from course_utils.models import ExamplesNet, LectureNet
from course_utils.training import MnistData, Recipe, evaluate, fit, mnist_data


class Stop(Exception):
    """Raised from a step callback to end a run (target reached or time spent)."""


class Clock:
    """Training time (wall and CPU) that excludes the evaluations made along the way.

    Called after every optimiser step (a global step hook, see :func:`timed`).
    """

    def __init__(self, model, data: MnistData, eval_every: int, target: float, max_s: float):
        self.model, self.data = model, data
        self.eval_every, self.target, self.max_s = eval_every, target, max_s
        self.paused_wall = self.paused_cpu = 0.0
        self.start_wall, self.start_cpu = time.perf_counter(), time.process_time()
        self.steps = 0
        self.points: list[tuple[int, float, float, float]] = []
        self.reached: tuple[int, float, float, float] | None = None

    def train_seconds(self) -> tuple[float, float]:
        return (
            time.perf_counter() - self.start_wall - self.paused_wall,
            time.process_time() - self.start_cpu - self.paused_cpu,
        )

    def __call__(self, _optimizer=None, _args=(), _kwargs=None) -> None:
        self.steps += 1
        step = self.steps - 1
        if (step + 1) % self.eval_every:
            return
        wall, cpu = self.train_seconds()
        w0, c0 = time.perf_counter(), time.process_time()
        accuracy = evaluate(self.model, self.data.test_x, self.data.test_y)
        self.paused_wall += time.perf_counter() - w0
        self.paused_cpu += time.process_time() - c0
        self.points.append((step + 1, wall, cpu, accuracy))
        print(f"  step {step + 1:5d}  {wall:7.1f} s wall  {cpu:7.1f} s CPU  acc {accuracy:.4f}")
        if accuracy >= self.target:
            self.reached = self.points[-1]
            raise Stop
        if wall >= self.max_s:
            raise Stop


def timed(train, model, data: MnistData, args) -> Clock:
    """Run ``train()`` with a clock on every optimiser step, until 99% or the time is spent."""
    clock = Clock(model, data, args.eval_every, args.target, args.max_seconds)
    hook = register_optimizer_step_post_hook(clock)
    try:
        train()
    except Stop:
        pass
    finally:
        hook.remove()
    return clock


def run_course(data: MnistData, args) -> Clock:
    recipe = Recipe(epochs=args.epochs, seed=args.seed)
    torch.manual_seed(recipe.seed)
    model = LectureNet()
    return timed(lambda: fit(model, data, recipe, progress=False), model, data, args)


def run_reference(data: MnistData, args) -> Clock:
    torch.manual_seed(args.seed)
    model = ExamplesNet()

    def train():
        optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
        schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
        n = len(data.train_x)
        for epoch in range(14):
            generator = torch.Generator().manual_seed(args.seed + epoch)
            order = torch.randperm(n, generator=generator)
            model.train()
            for i in range(0, n, 64):
                index = order[i : i + 64]
                loss = F.nll_loss(model(data.train_x[index]), data.train_y[index])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            schedule.step()

    return timed(train, model, data, args)


def describe(name: str, clock: Clock) -> str:
    if clock.reached:
        step, wall, cpu, acc = clock.reached
        return f"{name}: {acc:.2%} after {step} steps, {wall:.1f} s wall, {cpu:.1f} s CPU"
    step, wall, cpu, acc = clock.points[-1] if clock.points else (0, 0.0, 0.0, 0.0)
    return f"{name}: 99% not reached in {wall:.0f} s wall ({cpu:.0f} s CPU); best {acc:.2%}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="time to 99% MNIST test accuracy")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="cap per recipe")
    parser.add_argument("--eval-every", type=int, default=107,
                        help="steps between tests (107: a quarter of the course's epoch)")
    parser.add_argument("--epochs", type=int, default=2, help="course recipe epochs")
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-reference", action="store_true")
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    data = mnist_data(validation=5_000, seed=0)  # notebook 07's split
    print("course recipe (LectureNet, AdamW + one-cycle, batch 128):")
    course = run_course(data, args)
    lines = [describe("course   ", course)]
    if not args.skip_reference:
        print("pytorch/examples recipe (Adadelta lr 1.0, StepLR 0.7, batch 64):")
        reference = run_reference(data, args)
        lines.append(describe("reference", reference))
        if course.reached and reference.reached:
            ratio_wall = reference.reached[1] / course.reached[1]
            ratio_cpu = reference.reached[2] / course.reached[2]
            lines.append(f"ratio reference / course: {ratio_wall:.1f}× wall, {ratio_cpu:.1f}× CPU")
        elif course.reached and reference.points:
            lines.append(
                f"ratio reference / course: more than "
                f"{reference.points[-1][1] / course.reached[1]:.1f}× (wall)"
            )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
