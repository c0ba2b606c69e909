"""The main job: train an MLP and a small CNN on the UCI handwritten digits.

Run ``python -m funcdiff.examples.train`` (``--help`` lists the options). Each model trains
with a jitted step (``value_and_grad`` + an ``fd.optim`` optimizer) over a shuffled
``DataLoader``, shows a progress bar (tqdm when installed, a plain line otherwise), prints
loss and accuracy per epoch, evaluates on a held-out split, and saves a checkpoint after
every epoch; ``--resume`` continues from it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import nn, optim
from funcdiff.data import DataLoader, datasets, transforms


class MLP(nn.Module):
    """64 -> 128 -> 10 with a ReLU."""

    def __init__(self, *, key: Any) -> None:
        k1, k2 = fd.random.split(key)
        self.fc1 = nn.Linear(64, 128, key=k1)
        self.fc2 = nn.Linear(128, 10, key=k2)

    def __call__(self, x: Any) -> Any:
        x = fnp.reshape(x, (x.shape[0], -1))
        return self.fc2(nn.relu(self.fc1(x)))


class CNN(nn.Module):
    """Two 3x3 convolutions with max pooling, then a two-layer classifier (8x8 -> 10)."""

    def __init__(self, *, key: Any) -> None:
        k1, k2, k3, k4 = fd.random.split(key, 4)
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1, key=k1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, key=k2)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(64 * 2 * 2, 128, key=k3)
        self.fc2 = nn.Linear(128, 10, key=k4)

    def __call__(self, x: Any) -> Any:
        x = self.pool(nn.relu(self.conv1(x)))  # (N, 32, 4, 4)
        x = self.pool(nn.relu(self.conv2(x)))  # (N, 64, 2, 2)
        x = nn.relu(self.fc1(fnp.reshape(x, (x.shape[0], -1))))
        return self.fc2(x)


MODELS = {"mlp": MLP, "cnn": CNN}
OPTIMIZERS = {"adam": optim.adam, "sgd": lambda lr: optim.sgd(lr, momentum=0.9),
              "rmsprop": optim.rmsprop, "adamw": optim.adamw}


def schedule(peak: float, steps_per_epoch: int, epochs: int) -> optim.Schedule:
    """A linear warm-up over the first tenth of training, then cosine decay to zero."""
    total = steps_per_epoch * epochs
    return optim.warmup_cosine_decay_schedule(0.0, peak, max(total // 10, 1), total + 1)


def loss_fn(model: nn.Module, x: Any, y: Any) -> Any:
    return nn.cross_entropy(model(x), y)


def make_steps(optimizer: optim.GradientTransformation):
    @fd.jit
    def train_step(model, opt_state, x, y):
        loss, grads = fd.value_and_grad(loss_fn)(model, x, y)
        updates, opt_state = optimizer.update(grads, opt_state, model)
        return optim.apply_updates(model, updates), opt_state, loss

    @fd.jit
    def eval_step(model, x, y):
        logits = model(x)
        return nn.cross_entropy(logits, y, reduction="sum"), fnp.sum(fnp.argmax(logits, -1) == y)

    return train_step, eval_step


def progress(items: Iterable, total: int, desc: str, enabled: bool) -> Iterator:
    """tqdm when it is installed; otherwise a plain, overwritten status line."""
    if not enabled or not sys.stdout.isatty():
        yield from items  # logs get one line per epoch, not one per step
        return
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        yield from tqdm(items, total=total, desc=desc, leave=False, file=sys.stdout)
        return
    for i, item in enumerate(items, 1):
        yield item
        if i % max(total // 20, 1) == 0 or i == total:
            print(f"\r{desc} [{'#' * (20 * i // total):<20}] {i}/{total}", end="", flush=True)
    print("\r" + " " * (len(desc) + 32) + "\r", end="", flush=True)


def evaluate(eval_step: Any, model: nn.Module, loader: DataLoader) -> tuple[float, float]:
    total_loss, correct, n = 0.0, 0, 0
    for x, y in loader:
        loss, hits = eval_step(model, x, y)
        total_loss += float(loss)
        correct += int(hits)
        n += x.shape[0]
    return total_loss / n, correct / n


def train(name: str, args: argparse.Namespace) -> float:
    """Train one model; returns its final test accuracy."""
    key = fd.random.key(args.seed)
    data_key, model_key = fd.random.split(key)
    device = None if args.device is None else fd.devices()[0] if args.device == "cpu" else \
        args.device
    train_set, test_set = datasets.digits("train"), datasets.digits("test")
    # Shifting each training image by up to one pixel is the augmentation (reproducible:
    # each sample's shift comes from the loader's key, the epoch and its index).
    # An MLP sees pixels, not shapes, so only the CNN is given shifted images.
    augment = transforms.RandomShift(1) if name == "cnn" and not args.no_augment else None
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, key=data_key,
                              transform=augment, device=device)
    test_loader = DataLoader(test_set, batch_size=512, device=device)
    model = MODELS[name](key=model_key)
    optimizer = OPTIMIZERS[args.optimizer](schedule(args.lr, len(train_loader), args.epochs))
    opt_state = optimizer.init(model)
    start_epoch = 0
    ckpt = os.path.join(args.checkpoint_dir, f"digits_{name}.fdckpt")
    if args.resume and os.path.exists(ckpt):
        saved = fd.load(ckpt, like={"model": model, "opt_state": opt_state, "epoch": 0})
        model, opt_state, start_epoch = saved["model"], saved["opt_state"], int(saved["epoch"])
        print(f"resumed {name} from {ckpt} after epoch {start_epoch}")
    train_step, eval_step = make_steps(optimizer)
    params = sum(leaf.size for leaf in fd.tree.leaves(model))
    print(f"== {name.upper()}: {params:,} parameters, {len(train_set)} training / "
          f"{len(test_set)} test images, {args.optimizer} lr={args.lr}")
    train_loader.set_epoch(start_epoch)
    acc = 0.0
    for epoch in range(start_epoch, args.epochs):
        t0 = time.perf_counter()
        losses = []
        for x, y in progress(train_loader, len(train_loader), f"epoch {epoch + 1}",
                             not args.no_progress):
            model, opt_state, loss = train_step(model, opt_state, x, y)
            losses.append(loss)
        train_loss = float(np.mean([float(v) for v in losses]))
        test_loss, acc = evaluate(eval_step, model, test_loader)
        os.makedirs(args.checkpoint_dir, exist_ok=True)
        fd.save(ckpt, {"model": model, "opt_state": opt_state, "epoch": epoch + 1})
        print(f"{name} epoch {epoch + 1:3d}/{args.epochs}  train loss {train_loss:.4f}  "
              f"test loss {test_loss:.4f}  test accuracy {acc:6.2%}  "
              f"({time.perf_counter() - t0:.1f}s)", flush=True)
    print(f"== {name.upper()} final test accuracy: {acc:.2%} (checkpoint: {ckpt})")
    return acc


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m funcdiff.examples.train",
                                description="Train an MLP and a CNN on the digits dataset.")
    p.add_argument("--model", choices=["mlp", "cnn", "both"], default="both",
                   help="which model to train (default: both)")
    p.add_argument("--epochs", type=int, default=30,
                   help="passes over the training set (default: 30)")
    p.add_argument("--batch-size", type=int, default=32,
                   help="training examples per step (default: 32)")
    p.add_argument("--lr", type=float, default=3e-3,
                   help="peak learning rate of the warm-up + cosine schedule (default: 3e-3)")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam",
                   help="fd.optim optimizer (default: adam)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the initialization, shuffling and augmentation (default: 0)")
    p.add_argument("--device", default=None, help="e.g. cpu or gpu:0 (default: the default)")
    p.add_argument("--checkpoint-dir", default="checkpoints",
                   help="where the checkpoint of each epoch goes (default: checkpoints)")
    p.add_argument("--resume", action="store_true", help="continue from the saved checkpoint")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--no-augment", action="store_true",
                   help="train the CNN on unshifted images")
    args = p.parse_args(argv)
    names = {str(d) for d in fd.devices()} | {d.platform for d in fd.devices()}
    if args.device is not None and args.device not in names:
        p.error(f"--device {args.device} is not available here; choose one of "
                f"{', '.join(sorted(names))}")
    return args


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parse_args(argv)
    names = ["mlp", "cnn"] if args.model == "both" else [args.model]
    start = time.perf_counter()
    results = {name: train(name, args) for name in names}
    summary = ", ".join(f"{n.upper()} {a:.2%}" for n, a in results.items())
    print(f"done in {time.perf_counter() - start:.1f}s: test accuracy {summary}")
    return results


if __name__ == "__main__":
    main()
