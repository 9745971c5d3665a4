"""Learning-rate policies (Caffe's ``SGDSolver::GetLearningRate``), as a factor on the base rate."""

from __future__ import annotations

import math

from sweepstat.spec._train import ConstantPolicy, InvPolicy, StepPolicy


def lr_factor(policy: ConstantPolicy | InvPolicy | StepPolicy, iteration: int) -> float:
    """The factor applied to the base learning rate for the update after ``iteration`` updates (0 first).

    ``iteration`` counts updates already done, as Caffe's ``iter_`` and Keras's ``optimizer.iterations``
    do when the rate is computed, so the first update uses the base rate in every policy.
    constant: 1; inv: (1 + gamma·iteration)^(−power); step: gamma^floor(iteration / step_size).
    """
    if isinstance(policy, InvPolicy):
        return math.pow(1.0 + policy.gamma * iteration, -policy.power)
    if isinstance(policy, StepPolicy):
        return math.pow(policy.gamma, iteration // policy.step_size)
    return 1.0
