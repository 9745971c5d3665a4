"""One intra-op thread for the engine tests: what the workers use, and immune to a busy machine.

With PyTorch's default (one thread per core) OpenMP threads spin-wait for each other at every kernel;
on a machine whose cores are busy with other work a tiny training step then takes seconds, not
milliseconds. Results are reproducible for a given thread count, so the count is fixed here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True, scope="package")
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
