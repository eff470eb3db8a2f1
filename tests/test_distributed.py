"""Tests for course_utils.distributed: two gloo processes on the CPU train the lecture's net."""

from __future__ import annotations

import pytest
import torch

from course_utils.distributed import (
    Config,
    batch_indices,
    free_port,
    load_data,
    main,
    run,
    share,
    single_process,
)


def test_shares_split_the_minibatch_evenly():
    config = Config(world_size=2, batch_size=8, n_train=20)
    index = batch_indices(config, step=0)
    assert len(index) == 8 and torch.equal(index, batch_indices(config, step=0))
    parts = [share(index, r, 2) for r in range(2)]
    assert torch.equal(torch.cat(parts), index)
    assert not torch.equal(index, batch_indices(config, step=1))


@pytest.mark.parametrize(
    "kwargs", [{"world_size": 0}, {"batch_size": 7}, {"batch_size": 64, "n_train": 32}]
)
def test_bad_configs_are_refused(kwargs):
    with pytest.raises(ValueError):
        Config(**kwargs)


def test_free_port_is_a_port():
    assert 0 < free_port() < 65536


def test_two_processes_keep_equal_weights_and_match_one_process():
    config = Config(world_size=2, steps=2, batch_size=16, n_train=32)
    x, y = load_data(config.n_train, synthetic=True)
    lines, state = run(config, x, y)
    assert lines[:3] == [
        "step 0  rank 0: batch share 8×1×28×28",
        "step 0  rank 1: batch share 8×1×28×28",
        lines[2],
    ]
    assert len(lines) == 6
    assert all(line.endswith("weights equal across ranks: True") for line in lines[2::3])
    reference = single_process(config, x, y)
    assert all(torch.allclose(state[k], reference[k], atol=1e-5) for k in reference)
    with pytest.raises(ValueError):
        run(config, x[:10], y[:10])


def test_main_rejects_uneven_batches():
    with pytest.raises(ValueError):
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
