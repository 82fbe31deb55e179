"""Train an MLP classifier on scikit-learn's handwritten digits (8x8 images, 10 classes)
with s2sgrad, written as MindSpore code: a Cell, WithLossCell, an optimizer and
TrainOneStepCell. Shows a tqdm bar per epoch and saves a plot of loss and accuracy.

    pip install -e ".[examples]" && python examples/train_mlp.py [--epochs 20] [--plot mlp.png]
"""
import argparse
import os
import time

# Small matrices: BLAS threads only contend with each other (set before NumPy loads BLAS).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

import s2sgrad as ms  # noqa: E402
from s2sgrad import nn, Tensor  # noqa: E402


class MLP(nn.Cell):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.fc1 = nn.Dense(n_in, n_hidden)
        self.relu = nn.ReLU()
        self.fc2 = nn.Dense(n_hidden, n_out)

    def construct(self, x):
        return self.fc2(self.relu(self.fc1(x)))


def load_digits(seed):
    """Digits scaled to [0, 1], split 80/20 with a fixed shuffle."""
    from sklearn.datasets import load_digits as sk_digits
    data = sk_digits()
    x = (data.data / 16.0).astype(np.float32)
    y = data.target.astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_train = int(0.8 * len(x))
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def accuracy(net, x, y):
    logits = net(Tensor(x)).asnumpy()
    return float((logits.argmax(axis=1) == y).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default="mlp_digits.png", help="where to save the loss/accuracy plot")
    args = parser.parse_args()
    from tqdm import tqdm

    ms.set_seed(args.seed)
    np.random.seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_digits(args.seed)
    net = MLP(x_train.shape[1], args.hidden, 10)
    loss_fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    optimizer = nn.Momentum(net.trainable_params(), learning_rate=args.lr, momentum=0.9)
    train_step = nn.TrainOneStepCell(nn.WithLossCell(net, loss_fn), optimizer)
    train_step.set_train()

    history = {"loss": [], "test_accuracy": []}
    rng = np.random.default_rng(args.seed)
    n_batches = len(x_train) // args.batch           # whole batches: one compiled shape
    start = time.perf_counter()
    for epoch in range(args.epochs):
        order = rng.permutation(len(x_train))
        losses = []
        bar = tqdm(range(n_batches), desc=f"epoch {epoch + 1:2d}/{args.epochs}", leave=False)
        for b in bar:
            idx = order[b * args.batch:(b + 1) * args.batch]
            loss = train_step(Tensor(x_train[idx]), Tensor(y_train[idx]))
            losses.append(float(loss.asnumpy()))
            bar.set_postfix(loss=f"{losses[-1]:.4f}")
        history["loss"].append(float(np.mean(losses)))
        history["test_accuracy"].append(accuracy(net, x_test, y_test))
        tqdm.write(f"epoch {epoch + 1:2d}: loss {history['loss'][-1]:.4f}  "
                   f"test accuracy {history['test_accuracy'][-1]:.3f}")
    print(f"trained {args.epochs} epochs in {time.perf_counter() - start:.1f} s; "
          f"final test accuracy {history['test_accuracy'][-1]:.3f}")
    save_plot(history, args.plot)


def save_plot(history, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    epochs = np.arange(1, len(history["loss"]) + 1)
    left.plot(epochs, history["loss"])
    left.set(xlabel="epoch", ylabel="training loss", title="loss")
    right.plot(epochs, history["test_accuracy"])
    right.set(xlabel="epoch", ylabel="test accuracy", title="accuracy", ylim=(0, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot saved to {path}")


if __name__ == "__main__":
    main()
