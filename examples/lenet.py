"""MindSpore's LeNet5 tutorial network, written exactly as in the tutorial (only the
import changed), trained on scikit-learn's handwritten digits upscaled from 8x8 to
the network's 32x32 input.

    pip install -e ".[examples]" && python examples/lenet.py [--epochs 8] [--plot lenet.png]

The optimizer is the tutorial's Momentum(0.9) with a learning rate of 0.05 instead of 0.01:
the digits give 44 steps an epoch where MNIST gives 1875.
"""
import argparse
import os
import time

# Small matrices: BLAS threads only contend with each other (set before NumPy loads BLAS).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

import s2sgrad as ms  # noqa: E402
from s2sgrad import nn, Tensor  # noqa: E402
from s2sgrad.common.initializer import Normal  # noqa: E402


class LeNet5(nn.Cell):
    """
    Lenet network structure
    """
    # define the operator required
    def __init__(self, num_class=10, num_channel=1):
        super(LeNet5, self).__init__()
        self.conv1 = nn.Conv2d(num_channel, 6, 5, pad_mode='valid')
        self.conv2 = nn.Conv2d(6, 16, 5, pad_mode='valid')
        self.fc1 = nn.Dense(16 * 5 * 5, 120, weight_init=Normal(0.02))
        self.fc2 = nn.Dense(120, 84, weight_init=Normal(0.02))
        self.fc3 = nn.Dense(84, num_class, weight_init=Normal(0.02))
        self.relu = nn.ReLU()
        self.max_pool2d = nn.MaxPool2d(kernel_size=2, stride=2)
        self.flatten = nn.Flatten()

    # use the preceding operators to construct networks
    def construct(self, x):
        x = self.max_pool2d(self.relu(self.conv1(x)))
        x = self.max_pool2d(self.relu(self.conv2(x)))
        x = self.flatten(x)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        x = self.fc3(x)
        return x


def load_digits_32(seed):
    """Digits as [N, 1, 32, 32] float32 in [0, 1] (each pixel repeated 4x4), split 80/20."""
    from sklearn.datasets import load_digits
    data = load_digits()
    images = np.kron(data.images / 16.0, np.ones((4, 4)))[:, None].astype(np.float32)
    labels = data.target.astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(images))
    images, labels = images[order], labels[order]
    n_train = int(0.8 * len(images))
    return (images[:n_train], labels[:n_train]), (images[n_train:], labels[n_train:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plot", default="lenet_digits.png")
    args = parser.parse_args()
    from tqdm import tqdm

    ms.set_seed(args.seed)
    np.random.seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_digits_32(args.seed)
    ms.jit(LeNet5)          # calling the network (the test-set evaluation) runs compiled, not eagerly
    net = LeNet5()
    net_loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean')
    net_opt = nn.Momentum(net.trainable_params(), learning_rate=args.lr, momentum=0.9)
    train_step = nn.TrainOneStepCell(nn.WithLossCell(net, net_loss), net_opt)
    train_step.set_train()

    rng = np.random.default_rng(args.seed)
    n_batches = len(x_train) // args.batch
    losses, accuracies = [], []
    start = time.perf_counter()
    for epoch in range(args.epochs):
        order = rng.permutation(len(x_train))
        bar = tqdm(range(n_batches), desc=f"epoch {epoch + 1}/{args.epochs}", leave=False)
        for b in bar:
            idx = order[b * args.batch:(b + 1) * args.batch]
            losses.append(float(train_step(Tensor(x_train[idx]), Tensor(y_train[idx])).asnumpy()))
            bar.set_postfix(loss=f"{losses[-1]:.4f}")
        logits = net(Tensor(x_test)).asnumpy()
        accuracies.append(float((logits.argmax(axis=1) == y_test).mean()))
        tqdm.write(f"epoch {epoch + 1}: mean loss {np.mean(losses[-n_batches:]):.4f}  "
                   f"test accuracy {accuracies[-1]:.3f}")
    print(f"trained {args.epochs} epochs in {time.perf_counter() - start:.1f} s "
          f"(the first step includes compiling); loss {np.mean(losses[:10]):.3f} -> {np.mean(losses[-10:]):.3f}; "
          f"test accuracy {accuracies[-1]:.3f}")
    save_plot(losses, accuracies, n_batches, args.plot)


def save_plot(losses, accuracies, n_batches, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(np.arange(len(losses)) / n_batches, losses, lw=0.8)
    left.set(xlabel="epoch", ylabel="training loss", title="LeNet5 loss")
    right.plot(np.arange(1, len(accuracies) + 1), accuracies, marker="o")
    right.set(xlabel="epoch", ylabel="test accuracy", title="accuracy", ylim=(0, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot saved to {path}")


if __name__ == "__main__":
    main()
