"""Fit the four rates of a Lotka-Volterra predator-prey model to a noisy trajectory.
The model integrates the ODE with an explicit Euler loop that writes the trajectory
element by element; s2sgrad differentiates through the loop and Adam fits the rates.
Plots the trajectory before and after fitting.

    pip install -e ".[examples]" && python examples/fit_ode.py [--iterations 300] [--plot ode_fit.png]
"""
import argparse
import time

import numpy as np

from s2sgrad import nn, Parameter, Tensor

TRUE_RATES = (1.0, 0.4, 0.8, 0.2)        # alpha, beta, gamma, delta


class LotkaVolterra(nn.Cell):
    """prey' = alpha*prey - beta*prey*pred, pred' = delta*prey*pred - gamma*pred."""

    def __init__(self, rates, steps, dt):
        super().__init__()
        self.rates = Parameter(Tensor(np.array(rates, np.float64)), name="rates")
        self.steps = steps
        self.dt = dt

    def construct(self, start):
        alpha = self.rates[0]
        beta = self.rates[1]
        gamma = self.rates[2]
        delta = self.rates[3]
        prey = start[0]
        pred = start[1]
        trajectory = np.zeros((self.steps, 2))
        for t in range(self.steps):
            trajectory[t, 0] = prey
            trajectory[t, 1] = pred
            d_prey = alpha * prey - beta * prey * pred
            d_pred = delta * prey * pred - gamma * pred
            prey = prey + self.dt * d_prey
            pred = pred + self.dt * d_pred
        return trajectory


class TrajectoryLoss(nn.Cell):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def construct(self, start, observed):
        diff = self.model(start) - observed
        return (diff * diff).mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--steps", type=int, default=600, help="Euler steps of the integration")
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--plot", default="ode_fit.png")
    args = parser.parse_args()
    dt = 15.0 / args.steps
    start = Tensor(np.array([4.0, 2.0]))
    rng = np.random.default_rng(0)
    truth = as_array(LotkaVolterra(TRUE_RATES, args.steps, dt)(start))    # run eagerly
    observed = truth + 0.05 * rng.standard_normal(truth.shape)

    model = LotkaVolterra((0.7, 0.3, 1.0, 0.3), args.steps, dt)
    before = as_array(model(start))
    train = nn.TrainOneStepCell(TrajectoryLoss(model), nn.Adam(model.trainable_params(), learning_rate=args.lr))
    t0 = time.perf_counter()
    for i in range(args.iterations):
        loss = float(train(start, Tensor(observed)).asnumpy())
        if i % 50 == 0 or i == args.iterations - 1:
            print(f"iteration {i:4d}: loss {loss:.5f}  rates {np.round(model.rates.asnumpy(), 3)}")
    print(f"{args.iterations} iterations in {time.perf_counter() - t0:.2f} s "
          f"(first includes transpiling and compiling)")
    fitted = ", ".join(f"{v:.3f}" for v in model.rates.asnumpy())
    print(f"true rates {TRUE_RATES}, fitted ({fitted})")
    save_plot(np.arange(args.steps) * dt, observed, before, as_array(model(start)), args.plot)


def as_array(value):
    """Calling a cell runs construct eagerly; np.zeros makes the result a NumPy array."""
    return value.asnumpy() if isinstance(value, Tensor) else np.asarray(value, dtype=np.float64)


def save_plot(time_axis, observed, before, after, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)
    for ax, fitted, title in ((axes[0], before, "before fitting"), (axes[1], after, "after fitting")):
        ax.plot(time_axis, observed[:, 0], ".", ms=2, color="tab:blue", alpha=0.4, label="prey (observed)")
        ax.plot(time_axis, observed[:, 1], ".", ms=2, color="tab:red", alpha=0.4, label="predators (observed)")
        ax.plot(time_axis, fitted[:, 0], color="tab:blue", label="prey (model)")
        ax.plot(time_axis, fitted[:, 1], color="tab:red", label="predators (model)")
        ax.set(title=title, xlabel="time")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot saved to {path}")


if __name__ == "__main__":
    main()
