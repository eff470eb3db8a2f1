"""Time to 99% MNIST test accuracy: the course's recipe against pytorch/examples' (notebook 07).

Both train on the same in-memory tensors (the 60,000 normalised training images) in one run:

- course: ``LectureNet`` trained by ``course_utils.training.fit`` (AdamW, one-cycle, batch 128);
- reference: the pytorch/examples MNIST recipe (conv 32 3×3, conv 64 3×3, max-pool 2, dropout
  0.25, fc 9216→128, dropout 0.5, fc 128→10; Adadelta lr 1.0, StepLR gamma 0.7, batch 64).

Every ``--eval-every`` steps the 10,000 test images are scored; evaluation is not counted in
the training time. Wall-clock and CPU seconds (all threads) are both printed: on a shared
machine the CPU seconds are the steadier figure. The reference is slow on 2 cores, so each
recipe stops at 99% or after ``--max-seconds`` of training.

    python benchmarks/bench_mnist_training.py --max-seconds 300
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn
from torch.nn import functional as F

from course_utils.models import LectureNet
from course_utils.training import MnistData, evaluate, fit, mnist_data


class ExamplesNet(nn.Module):
    """pytorch/examples' MNIST network: ``N×1×28×28`` to ``N×10`` log-probabilities."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = self.dropout1(F.max_pool2d(x, 2))
        x = self.dropout2(F.relu(self.fc1(torch.flatten(x, 1))))
        return F.log_softmax(self.fc2(x), dim=1)


class Stop(Exception):
    """Raised from a step callback to end a run (target reached or time spent)."""


class Clock:
    """Training time (wall and CPU) that excludes the evaluations made along the way."""

    def __init__(self, model, data: MnistData, eval_every: int, target: float, max_s: float):
        self.model, self.data = model, data
        self.eval_every, self.target, self.max_s = eval_every, target, max_s
        self.paused_wall = self.paused_cpu = 0.0
        self.start_wall, self.start_cpu = time.perf_counter(), time.process_time()
        self.points: list[tuple[int, float, float, float]] = []
        self.reached: tuple[int, float, float, float] | None = None

    def train_seconds(self) -> tuple[float, float]:
        return (
            time.perf_counter() - self.start_wall - self.paused_wall,
            time.process_time() - self.start_cpu - self.paused_cpu,
        )

    def __call__(self, step: int, _loss: float = 0.0) -> None:
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


def run_course(data: MnistData, args) -> Clock:
    torch.manual_seed(args.seed)
    model = LectureNet()
    clock = Clock(model, data, args.eval_every, args.target, args.max_seconds)
    try:
        fit(model, data, epochs=args.epochs, seed=args.seed, progress=False, step_callback=clock)
    except Stop:
        pass
    return clock


def run_reference(data: MnistData, args) -> Clock:
    torch.manual_seed(args.seed)
    model = ExamplesNet()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    clock = Clock(model, data, args.eval_every, args.target, args.max_seconds)
    n, step = len(data.train_x), 0
    try:
        for epoch in range(14):
            order = torch.randperm(n, generator=torch.Generator().manual_seed(args.seed + epoch))
            model.train()
            for i in range(0, n, 64):
                index = order[i : i + 64]
                loss = F.nll_loss(model(data.train_x[index]), data.train_y[index])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                clock(step)
                step += 1
            schedule.step()
    except Stop:
        pass
    return clock


def describe(name: str, clock: Clock) -> str:
    if clock.reached:
        step, wall, cpu, acc = clock.reached
        return f"{name}: {acc:.2%} after {step} steps, {wall:.1f} s wall, {cpu:.1f} s CPU"
    step, wall, cpu, acc = clock.points[-1] if clock.points else (0, 0.0, 0.0, 0.0)
    return f"{name}: 99% not reached in {wall:.0f} s wall ({cpu:.0f} s CPU); best {acc:.2%}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="time to 99% MNIST test accuracy")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="cap per recipe")
    parser.add_argument("--eval-every", type=int, default=117, help="steps between tests")
    parser.add_argument("--epochs", type=int, default=2, help="course recipe epochs")
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-reference", action="store_true")
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    data = mnist_data()
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
