"""The main job (``python -m funcdiff.examples.train``): trains, evaluates, checkpoints, resumes."""

from __future__ import annotations

import subprocess
import sys

from funcdiff.examples import train


def test_short_run_learns_and_saves(tmp_path, capsys):
    acc = train.main(["--model", "mlp", "--epochs", "3", "--checkpoint-dir", str(tmp_path),
                      "--no-progress"])
    out = capsys.readouterr().out
    assert "mlp epoch   3/3" in out and "test accuracy" in out
    assert acc["mlp"] > 0.8
    assert (tmp_path / "digits_mlp.fdckpt").exists()


def test_resume_continues_from_the_checkpoint(tmp_path, capsys):
    args = ["--model", "cnn", "--checkpoint-dir", str(tmp_path), "--no-progress"]
    train.main([*args, "--epochs", "1"])
    capsys.readouterr()
    train.main([*args, "--epochs", "2", "--resume"])
    out = capsys.readouterr().out
    assert "resumed cnn" in out and "after epoch 1" in out
    assert "cnn epoch   1/2" not in out and "cnn epoch   2/2" in out


def test_command_line_help():
    res = subprocess.run([sys.executable, "-m", "funcdiff.examples.train", "--help"],
                         capture_output=True, text=True, check=True)
    for opt in ("--model", "--epochs", "--batch-size", "--lr", "--optimizer", "--seed",
                "--device", "--resume"):
        assert opt in res.stdout
