"""How much work a training step is: model FLOPs and the bytes the optimizer moves. Pure arithmetic.

FLOPs are dense-equivalent GEMM/convolution FLOPs (a multiply-add counts 2): the forward pass of every
matrix product and convolution, times 3 for a training step (forward + the two backward products), the
usual estimate. Element-wise work (activations, gates, losses) and the embedding gather are not counted.
The first recurrent layer's input projection is counted at every position of a batch, as a dense
implementation computes it; sweepstat computes it once per distinct token, so its achieved GFLOP/s are
dense-equivalent: for W1 they can pass the machine's GEMM peak.

Optimizer bytes: every parameter is an fp32 array the update reads and writes; the count is parameters ×
4 bytes × (arrays read + arrays written):
- Adam reads p, g, m, v and writes p, m, v: 7 passes;
- RMSprop (Keras, no momentum) reads p, g, v and writes p, v: 5;
- SGD with momentum (and Caffe's weight decay, which reads p anyway) reads p, g, m and writes p, m: 5;
  plain SGD reads p, g and writes p: 3.
A dense update of a whole embedding table, as Keras does it, moves all of it every step; that is what
makes W1 memory-bound. The count is that dense-equivalent traffic for every side: an optimizer that
touches only the rows a batch used (sweepstat's lazy row-wise update) moves less, so its achieved
"optimizer GB/s" may exceed the machine's bandwidth; it then says how much traffic was avoided.
"""

from __future__ import annotations

from dataclasses import dataclass

GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}
BYTES_PER_FLOAT = 4
OPTIMIZER_PASSES = {"adam": 7, "rmsprop": 5, "sgd_momentum": 5, "sgd": 3}


@dataclass(frozen=True)
class Work:
    """Per-sample forward FLOPs, parameter count and optimizer passes of one model + optimizer."""

    forward_flops_per_sample: int
    n_params: int
    optimizer_passes: int

    def train_step_flops(self, batch: int) -> int:
        return 3 * self.forward_flops_per_sample * batch

    def optimizer_bytes_per_step(self) -> int:
        return self.n_params * BYTES_PER_FLOAT * self.optimizer_passes

    def epoch_flops(self, n_train: int, n_eval: int) -> int:
        """One epoch: training on n_train samples (3× forward) and a forward pass over n_eval samples."""
        return 3 * self.forward_flops_per_sample * n_train + self.forward_flops_per_sample * n_eval


def recurrent_params(cell: str, n_in: int, units: int) -> int:
    """Keras's count: SimpleRNN/LSTM one bias vector per gate, GRU (reset_after) two."""
    g = GATES[cell]
    biases = 2 * g * units if cell == "gru" else g * units
    return g * (n_in * units + units * units) + biases


def rnn_text_work(
    *, vocab: int, maxlen: int, embedding: int, cell: str, units: int, head: str, optimizer: str, n_out: int = 1
) -> Work:
    """Embedding(vocab, embedding) → one recurrent layer → head ('flatten' or 'last') → Dense(n_out)."""
    g = GATES[cell]
    recurrent = 2 * maxlen * g * (embedding * units + units * units)  # input and recurrent products, per step
    dense_in = maxlen * units if head == "flatten" else units
    dense = 2 * dense_in * n_out
    params = vocab * embedding + recurrent_params(cell, embedding, units) + dense_in * n_out + n_out
    return Work(recurrent + dense, params, OPTIMIZER_PASSES[optimizer])


def conv_flops(out_h: int, out_w: int, c_out: int, k: int, c_in: int) -> int:
    return 2 * out_h * out_w * c_out * k * k * c_in


def lenet_work(
    *, side: int = 28, conv1: int = 20, conv2: int = 50, hidden: int = 500, n_classes: int = 10, k: int = 5,
    optimizer: str = "sgd_momentum",
) -> Work:
    """Caffe's LeNet: conv k×k (valid) → max-pool 2 → conv k×k → max-pool 2 → fc hidden → fc n_classes."""
    s1 = side - k + 1  # 24
    p1 = s1 // 2  # 12
    s2 = p1 - k + 1  # 8
    p2 = s2 // 2  # 4
    flat = p2 * p2 * conv2  # 800
    flops = (
        conv_flops(s1, s1, conv1, k, 1)
        + conv_flops(s2, s2, conv2, k, conv1)
        + 2 * flat * hidden
        + 2 * hidden * n_classes
    )
    params = (k * k * conv1 + conv1) + (k * k * conv1 * conv2 + conv2) + (flat * hidden + hidden)
    params += hidden * n_classes + n_classes
    return Work(flops, params, OPTIMIZER_PASSES[optimizer])
