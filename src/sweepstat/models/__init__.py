"""Keras-faithful models over R replicas: every parameter has a leading replica axis, one seed per replica.

Inputs are ``(R, B, ...)`` (each replica may get its own minibatch); outputs ``(R, B, C)`` logits.
"""

from __future__ import annotations

from sweepstat.models._base import ReplicatedModel, output_units
from sweepstat.models._build import build_model
from sweepstat.models._dense import Dense
from sweepstat.models._dropout import Generators, dropout_mask
from sweepstat.models._embedding import Embedding
from sweepstat.models._fused import fused, fused_enabled, recurrence, set_fused
from sweepstat.models._fused_loops import build_cpu_kernels
from sweepstat.models._heads import apply_head, head_features, head_takes_sequence
from sweepstat.models._init import (
    caffe_xavier,
    glorot_uniform,
    lstm_bias,
    orthogonal,
    replica_generators,
    uniform,
    zeros,
)
from sweepstat.models._lenet import LeNet
from sweepstat.models._mlp import Mlp
from sweepstat.models._recurrent import N_GATES, Bidirectional, Recurrent
from sweepstat.models._text_rnn import TextRnn

__all__ = [
    "N_GATES",
    "Bidirectional",
    "Dense",
    "Embedding",
    "Generators",
    "LeNet",
    "Mlp",
    "Recurrent",
    "ReplicatedModel",
    "TextRnn",
    "apply_head",
    "build_cpu_kernels",
    "build_model",
    "caffe_xavier",
    "dropout_mask",
    "fused",
    "fused_enabled",
    "glorot_uniform",
    "head_features",
    "head_takes_sequence",
    "lstm_bias",
    "orthogonal",
    "output_units",
    "recurrence",
    "replica_generators",
    "set_fused",
    "uniform",
    "zeros",
]
