"""The Keras 3 / TensorFlow peer: the benchmark models with Keras's default layers, trained by
``model.fit`` as the seeds' authors did. Runs under ``.bench-venv`` (no torch, no sweepstat there).

- Text models: Embedding → SimpleRNN / LSTM (``return_sequences`` for the flatten head) → [Flatten] →
  Dense(1, sigmoid), binary cross-entropy; ``fit(validation_data=test)``, so an epoch's time (from
  ``on_epoch_begin`` to ``on_epoch_end``, which Keras calls after validation) includes the evaluation.
- LeNet: Conv2D(20, 5) → MaxPooling2D(2) → Conv2D(50, 5) → MaxPooling2D(2) → Flatten → Dense(500, relu)
  → Dense(10, softmax), sparse categorical cross-entropy. Caffe's weight decay wd is an L2 regulariser
  of wd/2 on every kernel and bias (its gradient is wd·p, added to the gradient before momentum, as
  Caffe's solver does; Keras's own SGD ``weight_decay`` is decoupled and would differ); the ``inv``
  policy is a ``LearningRateSchedule``. Timed per 100 iterations with a batch callback; no evaluation
  inside the timed part.
- Optimizers: Keras's own defaults (Adam and RMSprop ε 1e-7), SGD with the job's lr and momentum.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

import numpy as np


def train_keras(job: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import keras
    import tensorflow as tf

    if job.get("threads") is not None:
        tf.config.threading.set_intra_op_parallelism_threads(int(job["threads"]))
        tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.utils.set_random_seed(job.get("seed", 0))

    class InvSchedule(keras.optimizers.schedules.LearningRateSchedule):
        """Caffe ``inv``: lr·(1 + γ·iteration)^(−power)."""

        def __init__(self, lr: float, gamma: float, power: float):
            self.lr, self.gamma, self.power = lr, gamma, power

        def __call__(self, step: Any) -> Any:
            step = keras.ops.cast(step, "float32")
            return self.lr * keras.ops.power(1.0 + self.gamma * step, -self.power)

        def get_config(self) -> dict[str, float]:
            return {"lr": self.lr, "gamma": self.gamma, "power": self.power}

    images = arrays["x_train"].ndim > 2
    if images:
        scale = float(job.get("input_scale", 1 / 256))
        x = (arrays["x_train"].astype(np.float32) * scale).reshape(-1, 28, 28, 1)
        xt = (arrays["x_test"].astype(np.float32) * scale).reshape(-1, 28, 28, 1)
    else:
        x, xt = arrays["x_train"].astype("int32"), arrays["x_test"].astype("int32")
    n_classes = int(arrays["n_classes"])
    binary = n_classes == 2
    y = arrays["y_train"].astype("float32" if binary else "int32")
    yt = arrays["y_test"].astype("float32" if binary else "int32")
    vocab, maxlen = int(arrays["vocab_size"]), x.shape[1]

    def build(spec: dict[str, Any], opt_spec: dict[str, Any]) -> Any:
        if spec["kind"] == "lenet":
            reg = keras.regularizers.L2(opt_spec.get("weight_decay", 0.0) / 2)
            kw = {"kernel_regularizer": reg, "bias_regularizer": reg}
            layers = [
                keras.Input((28, 28, 1)),
                keras.layers.Conv2D(20, 5, **kw),
                keras.layers.MaxPooling2D(2),
                keras.layers.Conv2D(50, 5, **kw),
                keras.layers.MaxPooling2D(2),
                keras.layers.Flatten(),
                keras.layers.Dense(500, activation="relu", **kw),
                keras.layers.Dense(n_classes, activation="softmax", **kw),
            ]
        else:
            cell = keras.layers.LSTM if spec["cell"] == "lstm" else keras.layers.SimpleRNN
            flatten = spec["head"] == "flatten"
            layers = [
                keras.Input((maxlen,), dtype="int32"),
                keras.layers.Embedding(vocab, spec["embedding"]),
                cell(spec["units"], return_sequences=flatten),
                *([keras.layers.Flatten()] if flatten else []),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        model = keras.Sequential(layers)
        name = opt_spec["name"]
        if name == "adam":
            opt = keras.optimizers.Adam()
        elif name == "rmsprop":
            opt = keras.optimizers.RMSprop()
        else:
            lr: Any = opt_spec["lr"]
            if "inv" in opt_spec:
                lr = InvSchedule(opt_spec["lr"], *opt_spec["inv"])
            opt = keras.optimizers.SGD(learning_rate=lr, momentum=opt_spec.get("momentum", 0.0))
        loss = "binary_crossentropy" if binary else "sparse_categorical_crossentropy"
        model.compile(optimizer=opt, loss=loss, metrics=["accuracy"])
        return model

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            self.seconds.append(time.perf_counter() - self.t0)

    class ChunkTimer(keras.callbacks.Callback):
        """Time per 100 iterations; stops training after ``iterations``."""

        def __init__(self, iterations: int) -> None:
            super().__init__()
            self.iterations, self.done = iterations, 0
            self.seconds: list[float] = []

        def on_train_begin(self, logs: dict | None = None) -> None:
            self.t0 = time.perf_counter()

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            self.done += 1
            if self.done % 100 == 0:
                now = time.perf_counter()
                self.seconds.append(now - self.t0)
                self.t0 = now
            if self.done >= self.iterations:
                self.model.stop_training = True

    runs = []
    for run in job["runs"]:
        keras.backend.clear_session()
        model = build(run["model"], run["optimizer"])
        batch = int(run["batch"])
        iterations = run.get("iterations")
        if iterations is None:
            timer: Any = EpochTimer()
            history = model.fit(
                x, y, batch_size=batch, epochs=int(run["epochs"]), validation_data=(xt, yt),
                shuffle=True, verbose=0, callbacks=[timer],
            )
            accuracy = float(history.history["val_accuracy"][-1])
        else:
            timer = ChunkTimer(int(iterations))
            epochs = math.ceil(int(iterations) / math.ceil(len(y) / batch))
            model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=True, verbose=0, callbacks=[timer])
            accuracy = float(model.evaluate(xt, yt, batch_size=1000, verbose=0)[1])
        runs.append({"label": run["label"], "seconds": timer.seconds, "test_accuracy": accuracy})
    intra = tf.config.threading.get_intra_op_parallelism_threads()
    inter = tf.config.threading.get_inter_op_parallelism_threads()
    return {
        "runs": runs,
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
        "threads": f"tf intra-op {intra or 'default'}, inter-op {inter or 'default'}",
    }
