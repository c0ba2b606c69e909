"""The seed example: a two-layer MLP (10 -> 20 -> 1) fit to random data with SGD and MSE.

This is the PyTorch note's program, written the funcdiff way: the model is a ``Module``
(a pytree of its parameters), the loss is a pure function, ``fd.value_and_grad`` gives the
gradients, ``fd.optim.sgd`` the update, and ``fd.jit`` compiles the whole step. It prints the
loss per epoch as the note does::

    python examples/seed_mlp.py
"""

from __future__ import annotations

import funcdiff as fd
from funcdiff import nn, optim

class SimpleNN(nn.Module):
    """``fc2(relu(fc1(x)))`` with ``fc1 = Linear(10, 20)`` and ``fc2 = Linear(20, 1)``."""

    def __init__(self, *, key):
        key1, key2 = fd.random.split(key)
        self.fc1 = nn.Linear(10, 20, key=key1)
        self.fc2 = nn.Linear(20, 1, key=key2)

    def __call__(self, x):
        return self.fc2(nn.relu(self.fc1(x)))


def loss_fn(model, x, y):
    return nn.mse_loss(model(x), y)


def main(epochs: int = 100, lr: float = 0.01, seed: int = 0, verbose: bool = True) -> list:
    """Train for ``epochs`` full-batch steps; returns the loss of each epoch."""
    key_x, key_y, key_model = fd.random.split(fd.random.key(seed), 3)
    x = fd.random.normal(key_x, (100, 10))
    y = fd.random.normal(key_y, (100, 1))
    model = SimpleNN(key=key_model)
    optimizer = optim.sgd(learning_rate=lr)
    opt_state = optimizer.init(model)

    @fd.jit
    def train_step(model, opt_state, x, y):
        loss, grads = fd.value_and_grad(loss_fn)(model, x, y)  # grads: a SimpleNN of arrays
        updates, opt_state = optimizer.update(grads, opt_state, model)
        return optim.apply_updates(model, updates), opt_state, loss

    losses = []
    for epoch in range(epochs):
        model, opt_state, loss = train_step(model, opt_state, x, y)
        losses.append(float(loss))
        if verbose:
            print(f"Epoch [{epoch + 1}/{epochs}], Loss: {losses[-1]:.4f}")
    return losses


if __name__ == "__main__":
    main()
