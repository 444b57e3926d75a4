"""``latentmix train / evaluate / encode``, run for real on the embedded digits."""

import json
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from latentmix.cli import main


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "dae"
    code = main(["train", "dae", "--data", "digits", "--epochs", "2", "--latent-dim", "8",
                 "--noise", "masking:0.3", "--out", str(out), "--device", "cpu", "--seed", "0", "--verbose", "0"])
    assert code == 0
    return out


def test_train_writes_a_complete_run_folder(trained_run):
    names = {p.name for p in trained_run.iterdir()}
    assert {"config.json", "weights.safetensors", "options.json", "metrics.jsonl"} <= names
    options = json.loads((trained_run / "options.json").read_text())
    assert options["params"]["noise"] == "masking" and options["params"]["noise_level"] == 0.3
    lines = (trained_run / "metrics.jsonl").read_text().splitlines()
    assert len(lines) >= 2 and all("epoch" in json.loads(line) for line in lines)


def test_evaluate_reports_reconstruction_denoising_and_probe(trained_run, capsys):
    code, out, _ = run(["evaluate", str(trained_run), "--json", "--probe-samples", "500"], capsys)
    assert code == 0
    result = json.loads(out)
    for key in ("reconstruction_mse", "reconstruction_psnr_db", "noisy_psnr_db", "denoised_psnr_db",
                "linear_probe_accuracy"):
        assert np.isfinite(result[key]), key
    assert 0.3 < result["linear_probe_accuracy"] <= 1.0 and result["linear_probe_C"] == 1.0
    assert (trained_run / "evaluation.json").is_file()
    code, out, _ = run(["evaluate", str(trained_run), "--json", "--probe-samples", "500", "--probe-c", "auto"], capsys)
    assert code == 0 and json.loads(out)["linear_probe_C"] in (0.01, 0.1, 1.0, 10.0)


def test_encode_writes_codes(trained_run, tmp_path, capsys):
    code, _, _ = run(["encode", str(trained_run), "--data", "digits", "--out", str(tmp_path / "z.npy")], capsys)
    assert code == 0
    Z = np.load(tmp_path / "z.npy")
    assert Z.shape == (1797, 8) and Z.dtype == np.float32


def test_data_of_another_shape_is_a_clear_error(trained_run, tmp_path, capsys):
    np.save(tmp_path / "other.npy", np.random.default_rng(0).random((20, 1, 28, 28)).astype(np.float32))
    code, _, err = run(["encode", str(trained_run), "--data", str(tmp_path / "other.npy"),
                        "--out", str(tmp_path / "z.npy")], capsys)
    assert code == 2 and "shape" in err and "Traceback" not in err
    assert not (tmp_path / "z.npy").exists()


@pytest.mark.parametrize("args, message", [
    (["train", "gpt", "--data", "digits"], "unknown model"),
    (["train", "ae"], "--data"),
    (["train", "ae", "--data", "digits", "--epochs", "0"], "epochs"),
    (["train", "ae", "--data", "digits", "--noise", "masking:0.3"], "denoising"),
    (["train", "dae", "--data", "digits", "--noise", "blur:2"], "noise"),
    (["train", "gan", "--data", "digits", "--lr-schedule", "cosine"], "--lr-schedule does not apply"),
    (["train", "ae", "--data", "digits", "--lr-schedule", "step"], "'step' is not one of"),
    (["train", "ae", "--data", "no-such-dataset", "--epochs", "1"], "no-such-dataset"),
    (["evaluate", "/nonexistent/run"], "does not exist"),
    (["evaluate", "/nonexistent/run", "--probe-c", "-1"], "positive number or 'auto'"),
    (["evaluate", "/nonexistent/run", "--probe-c", "inf"], "positive number or 'auto'"),
    (["evaluate", "/nonexistent/run", "--probe-c", "best"], "positive number or 'auto'"),
    (["encode", "/nonexistent/run", "--data", "digits", "--out", "z.txt"], ".npy"),
])
def test_bad_arguments_exit_2_without_traceback(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(args, capsys)
    assert code == 2, err
    assert message in err and "Traceback" not in err


def test_config_file_and_dry_run(tmp_path, capsys):
    cfg = tmp_path / "ae.toml"
    cfg.write_text('data = "digits"\nlatent_dim = 6\nepochs = 3\nhidden = [32]\n')
    code, out, _ = run(["train", "ae", "--config", str(cfg), "--epochs", "1", "--lr-schedule", "cosine", "--dry-run"],
                       capsys)
    assert code == 0
    options = json.loads(out)
    assert options["params"] == {"latent_dim": 6, "epochs": 1, "hidden": [32], "lr_schedule": "cosine"}
    assert options["data"] == "digits"
    cfg.write_text('latent_dims = 6\n')
    code, _, err = run(["train", "ae", "--config", str(cfg), "--data", "digits", "--dry-run"], capsys)
    assert code == 2 and "latent_dims" in err
    cfg.write_text('latent_dim = = 6\n')
    code, _, err = run(["train", "ae", "--config", str(cfg), "--data", "digits"], capsys)
    assert code == 2 and "TOML" in err


def test_foreign_run_folder(tmp_path, capsys):
    (tmp_path / "options.json").write_text('{"data": "digits"}')
    code, _, err = run(["evaluate", str(tmp_path)], capsys)
    assert code == 2 and "config.json" in err


def test_real_console_script_help():
    result = subprocess.run([sys.executable, "-m", "latentmix.cli", "train", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "--noise" in result.stdout


def test_click_runner_train_vae(tmp_path):
    from latentmix.cli import cli

    result = CliRunner().invoke(cli, ["train", "vae", "--data", "digits", "--epochs", "1", "--out",
                                      str(tmp_path / "vae"), "--device", "cpu", "--verbose", "0"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "vae" / "weights.safetensors").is_file()


def test_resume_continues_a_run_to_the_same_weights(tmp_path, capsys):
    from safetensors.torch import load_file

    common = ["--data", "digits", "--latent-dim", "4", "--device", "cpu", "--seed", "3", "--verbose", "0"]
    assert main(["train", "ae", *common, "--epochs", "4", "--out", str(tmp_path / "straight")]) == 0
    assert main(["train", "ae", *common, "--epochs", "2", "--out", str(tmp_path / "stopped")]) == 0
    assert main(["train", "ae", *common, "--epochs", "4", "--out", str(tmp_path / "stopped"), "--resume"]) == 0
    straight = load_file(tmp_path / "straight" / "weights.safetensors")
    resumed = load_file(tmp_path / "stopped" / "weights.safetensors")
    assert straight.keys() == resumed.keys()
    for key in straight:
        assert (straight[key] == resumed[key]).all(), key


def test_evaluate_a_gan_reports_sample_quality_with_and_without_rejection(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the digits classifier is trained here
    run_dir = tmp_path / "gan"
    assert main(["train", "gan", "--data", "digits", "--arch", "mlp", "--loss", "ns", "--epochs", "2",
                 "--out", str(run_dir), "--device", "cpu", "--seed", "0", "--verbose", "0"]) == 0
    capsys.readouterr()
    code, out, err = run(["evaluate", str(run_dir), "--json", "--samples", "200"], capsys)
    assert code == 0, err
    result = json.loads(out)
    for key in ("frechet_distance", "kid_mean", "precision", "recall", "density", "coverage", "one_nn_accuracy",
                "classifier_score"):
        assert np.isfinite(result[f"generation/{key}"]), key
        assert np.isfinite(result[f"rejection/{key}"]), key
    assert result["generation/n_fake"] == 200 and 0 < result["rejection/acceptance_rate"] <= 1


def test_shipped_feature_extractor_config_builds_and_trains(tmp_path, capsys):
    """configs/dae-features.toml (the README's recommended extractor) resolves and trains on 28x28 images."""
    from pathlib import Path

    import latentmix as lm

    cfg = Path(__file__).resolve().parents[1] / "configs" / "dae-features.toml"
    code, out, _ = run(["train", "dae", "--data", "fashion-mnist", "--config", str(cfg), "--dry-run"], capsys)
    assert code == 0
    params = json.loads(out)["params"]
    assert params["hidden"] == [32, 64, 128] and params["latent_dim"] == 256
    X = np.random.default_rng(0).random((16, 1, 28, 28), dtype=np.float32)
    model = lm.DenoisingAutoEncoder(**{**params, "epochs": 1}, random_state=0, verbose=0).fit(X)
    assert model.transform(X).shape == (16, 256)


@pytest.mark.parametrize("model, name", [("aae", "aae-gmm"), ("vaegan", "vaegan"), ("latent-gmm", "latent-gmm"),
                                         ("vae", "vade")])
def test_shipped_hybrid_configs_resolve_and_train(tmp_path, capsys, model, name):
    """Each model family's config under configs/ resolves (dry run) and trains one epoch on digits."""
    from pathlib import Path

    import latentmix as lm

    cfg = Path(__file__).resolve().parents[1] / "configs" / f"{name}.toml"
    code, out, err = run(["train", model, "--data", "digits", "--config", str(cfg), "--dry-run"], capsys)
    assert code == 0, err
    resolved = json.loads(out)["resolved"]
    assert (resolved["autoencoder"]["params"] if model == "latent-gmm" else resolved)["latent_dim"] == 16
    code, _, err = run(["train", model, "--data", "digits", "--config", str(cfg), "--epochs", "1", "--arch", "dense",
                        "--device", "cpu", "--verbose", "0", "--out", str(tmp_path / "run")], capsys)
    assert code == 0, err
    assert isinstance(lm.load(tmp_path / "run"), lm.models.get_model_class(model))
