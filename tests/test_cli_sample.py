"""``latentmix sample``, run for real on a GAN trained by ``latentmix train gan``."""

import numpy as np
import pytest
import torch

import latentmix as lm
from latentmix.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "gan"
    code = main(["train", "gan", "--data", "digits", "--arch", "mlp", "--epochs", "1", "--out", str(out),
                 "--device", "cpu", "--seed", "0", "--verbose", "0"])
    assert code == 0
    return out


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_png_grid_and_npy(gan_run, tmp_path, capsys):
    code, out, _ = run(["sample", str(gan_run), "-n", "16", "--out", str(tmp_path / "grid.png")], capsys)
    assert code == 0 and "16 samples" in out
    assert (tmp_path / "grid.png").read_bytes()[:8] == PNG
    for name in ("a.npy", "b.npy"):
        code, _, _ = run(["sample", str(gan_run), "-n", "16", "--seed", "3", "--out", str(tmp_path / name)], capsys)
        assert code == 0
    a, b = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    assert a.shape == (16, 1, 8, 8) and a.dtype == np.float32 and 0 <= a.min() and a.max() <= 1
    np.testing.assert_array_equal(a, b)
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temp files


def test_rejection_sampling(gan_run, tmp_path, capsys):
    code, out, _ = run(["sample", str(gan_run), "-n", "8", "--seed", "0", "--rejection", "--out",
                        str(tmp_path / "kept.npy")], capsys)
    assert code == 0 and "acceptance rate" in out
    assert np.load(tmp_path / "kept.npy").shape == (8, 1, 8, 8)
    code, _, _ = run(["sample", str(gan_run), "-n", "8", "--rejection", "--gamma", "0.5", "--out",
                      str(tmp_path / "kept.png")], capsys)
    assert code == 0 and (tmp_path / "kept.png").read_bytes()[:8] == PNG


def test_dcgan_with_a_config_file_and_colour_grid(tmp_path, capsys):
    (tmp_path / "gan.toml").write_text('loss = "hinge"\nn_critic = 2\nema = 0.99\nlatent_dim = 8\n')
    run_dir = tmp_path / "dcgan"
    code, _, err = run(["train", "gan", "--data", "digits", "--arch", "dcgan", "--config", str(tmp_path / "gan.toml"),
                        "--epochs", "1", "--out", str(run_dir), "--device", "cpu", "--verbose", "0"], capsys)
    assert code == 0, err
    model = lm.load(run_dir)
    assert model.loss == "hinge" and model.n_critic == 2 and "generator_ema" in model.networks_
    colour = tmp_path / "colour"
    lm.GAN("mlp", "ns", 4, epochs=1, device="cpu", verbose=0, random_state=0).fit(torch.rand(32, 3, 8, 8)).save(colour)
    code, _, _ = run(["sample", str(colour), "-n", "12", "--out", str(tmp_path / "rgb.png")], capsys)
    assert code == 0
    import matplotlib.pyplot as plt

    image = plt.imread(tmp_path / "rgb.png")
    assert image.shape[:2] == ((2 * 9 + 1) * 4, (10 * 9 + 1) * 4) and image.shape[2] in (3, 4)


@pytest.mark.parametrize("case, message", [
    ("suffix", ".png"), ("missing", "not a folder"), ("foreign", "foreign"), ("gamma", "--rejection"),
    ("autoencoder", "cannot generate samples"), ("vae_rejection", "needs a model with a discriminator"),
])
def test_errors_exit_2_without_traceback(gan_run, tmp_path, capsys, case, message):
    X = lm.datasets.load("digits")[0][:64]
    folder, extra, out = gan_run, [], tmp_path / "s.npy"
    if case == "suffix":
        out = tmp_path / "s.jpg"
    elif case == "missing":
        folder = tmp_path / "nothing"
    elif case == "foreign":
        folder = tmp_path / "foreign"
        folder.mkdir()
        (folder / "config.json").write_text('{"format": "other"}')
    elif case == "gamma":
        extra = ["--gamma", "1"]
    elif case == "autoencoder":
        folder = tmp_path / "ae"
        lm.AutoEncoder(4, epochs=1, device="cpu", verbose=0).fit(X).save(folder)
    elif case == "vae_rejection":
        folder, extra = tmp_path / "vae", ["--rejection"]
        lm.VAE(4, epochs=1, device="cpu", verbose=0).fit(X).save(folder)
    code, _, err = run(["sample", str(folder), "-n", "4", "--out", str(out), *extra], capsys)
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()
