"""The main job, run for real: ``latentmix demo`` on the embedded digits."""

import json

from click.testing import CliRunner

from latentmix.cli import cli, main


def test_demo_writes_metrics_and_samples(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "run"), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert "latentmix" in result.output and "scikit-learn" in result.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    ours = metrics["pixel_gmm"]["latentmix"]
    assert 0.6 < ours["acc"] <= 1.0 and 0.5 < ours["nmi"] <= 1.0
    assert metrics["autoencoder"]["linear_probe_accuracy"] > 0.8
    assert metrics["latent_gmm"]["test_acc"] > 0.5
    for name in ("reconstructions.png", "latent_gmm_samples.png"):
        assert (tmp_path / "run" / name).read_bytes().startswith(b"\x89PNG")
    assert not list((tmp_path / "run").glob("*.tmp"))  # no temp file left behind


def test_bad_option_is_a_usage_error_without_traceback(capsys):
    code = main(["demo", "--seed", "not-a-number"])
    captured = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in captured.err and "seed" in captured.err


def test_bad_device_is_a_clear_error(tmp_path, capsys):
    code = main(["demo", "--out", str(tmp_path), "--device", "tpu"])
    assert code == 2
    assert "device" in capsys.readouterr().err
