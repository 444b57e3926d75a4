"""The hybrids through the real command line on the 8x8 digits: train aae / latent-gmm / vaegan,
sample per component and with stratified rejection, evaluate what each model can do."""

import json

import numpy as np
import pytest

import latentmix as lm
from latentmix.cli import main

pytestmark = pytest.mark.usefixtures("one_thread")
COMMON = ["--data", "digits", "--device", "cpu", "--seed", "0", "--verbose", "0"]


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    commands = {
        "aae": ["train", "aae", "--prior", "gmm:10", "--latent-dim", "6", "--epochs", "3"],
        "lg": ["train", "latent-gmm", "--autoencoder", "dae", "--n-components", "10", "--latent-dim", "6",
               "--epochs", "3"],
        "vaegan": ["train", "vaegan", "--arch", "dense", "--latent-dim", "6", "--epochs", "2"],
        "gan": ["train", "gan", "--arch", "mlp", "--epochs", "2"],
        "gan0": ["train", "gan", "--arch", "mlp", "--epochs", "1", "--config", None],
    }
    cfg = root / "gan0.toml"
    cfg.write_text("calibration_fraction = 0.0\n")
    for name, args in commands.items():
        args = [str(cfg) if a is None else a for a in args]
        assert main([*args, *COMMON, "--out", str(root / name)]) == 0, name
    return root


def test_each_run_loads_as_its_model(runs):
    assert isinstance(lm.load(runs / "aae"), lm.AdversarialAutoEncoder)
    lg = lm.load(runs / "lg")
    assert isinstance(lg, lm.LatentGMM) and isinstance(lg.autoencoder_, lm.DenoisingAutoEncoder)
    assert isinstance(lg.mixture_, lm.GaussianMixture) and lg.mixture_.n_components == 10
    assert isinstance(lm.load(runs / "vaegan"), lm.VAEGAN)
    options = json.loads((runs / "aae" / "options.json").read_text())
    assert options["resolved"]["prior"]["__class__"] == "GaussianMixturePrior"


@pytest.mark.parametrize("name", ["aae", "lg"])
def test_sample_one_component(runs, tmp_path, capsys, name):
    code, out, _ = run(["sample", str(runs / name), "-n", "8", "--component", "3", "--seed", "1",
                        "--out", str(tmp_path / "c.npy")], capsys)
    assert code == 0 and "8 samples" in out
    x = np.load(tmp_path / "c.npy")
    model = lm.load(runs / name)
    np.testing.assert_allclose(x, model.sample(8, seed=1, component=3).numpy(), atol=1e-6)
    code, _, err = run(["sample", str(runs / name), "-n", "8", "--component", "10", "--out",
                        str(tmp_path / "c.npy")], capsys)
    assert code == 2 and "component must be an int in [0, 9]" in err


def test_component_needs_a_mixture(runs, tmp_path, capsys):
    code, _, err = run(["sample", str(runs / "vaegan"), "-n", "4", "--component", "0", "--out",
                        str(tmp_path / "x.npy")], capsys)
    assert code == 2 and "mixture" in err


def test_stratified_rejection_from_the_command_line(runs, tmp_path, capsys):
    code, out, _ = run(["sample", str(runs / "gan"), "-n", "16", "--seed", "0", "--rejection", "stratified",
                        "--out", str(tmp_path / "s.npy")], capsys)
    assert code == 0 and "acceptance rate" in out
    np.testing.assert_allclose(np.load(tmp_path / "s.npy"),
                               lm.load(runs / "gan").sample(16, seed=0, rejection="stratified").numpy(), atol=1e-6)


def test_evaluate_reports_what_each_model_can_do(runs, capsys):
    code, out, _ = run(["evaluate", str(runs / "aae"), "--samples", "100", "--probe-samples", "300", "--json"],
                       capsys)
    result = json.loads(out)
    assert code == 0 and 0 <= result["clustering/acc"] <= 1 and "generation/frechet_distance" in result
    assert "reconstruction_mse" in result
    code, out, _ = run(["evaluate", str(runs / "lg"), "--samples", "100", "--probe-samples", "300", "--json"],
                       capsys)
    result = json.loads(out)
    assert code == 0 and {"clustering/nmi", "denoised_psnr_db", "generation/precision"} <= set(result)
    code, out, _ = run(["evaluate", str(runs / "gan"), "--samples", "100", "--json"], capsys)
    result = json.loads(out)
    assert code == 0 and "rejection_stratified/frechet_distance" in result and "clustering/acc" not in result


def test_evaluate_a_gan_without_calibration(runs, capsys):
    code, out, _ = run(["evaluate", str(runs / "gan0"), "--samples", "100", "--json"], capsys)
    result = json.loads(out)
    assert code == 0 and "generation/frechet_distance" in result
    assert not any(k.startswith("rejection") for k in result)


@pytest.mark.parametrize("args, message", [
    (["train", "ae", "--n-components", "3"], "--n-components applies to latent-gmm"),
    (["train", "aae", "--prior", "gmm:x"], "positive int"),
    (["train", "aae", "--prior", "wishart"], "unknown prior"),
    (["train", "ae", "--prior", "gmm:3"], "--prior does not apply"),
    (["train", "latent-gmm", "--autoencoder", "nope"], "unknown model 'nope'"),
])
def test_bad_hybrid_arguments_exit_2(args, message, capsys, tmp_path):
    code, _, err = run([*args, *COMMON, "--out", str(tmp_path / "r")], capsys)
    assert code == 2 and message in err, err


def test_loading_a_run_of_another_model_type_is_clear(runs):
    from latentmix.core import load
    from latentmix.exceptions import CheckpointError

    with pytest.raises(CheckpointError, match="holds a GAN, not a LatentGMM"):
        load(runs / "gan", expect=lm.LatentGMM)
