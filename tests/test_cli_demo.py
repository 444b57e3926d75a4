"""The main job, run for real: ``latentmix demo`` on the embedded digits (``--fast``: every
comparison on 400 rows with two epochs, so the numbers are small but the whole path runs), and
the pieces that decide what it prints."""

import json
from pathlib import Path

import numpy as np
import pytest

from latentmix.cli import main
from latentmix.demo import DemoSettings, Headline, format_table, recipe_for, verdict
from latentmix.demo.mixture import initial_parameters
from latentmix.demo.settings import FAST, LARGE, SMALL
from latentmix.exceptions import InvalidParameterError

SECTIONS = ("clustering", "generation", "anomaly", "gan", "mixture")


@pytest.fixture(scope="module")
def fast_run(tmp_path_factory):
    """One ``latentmix demo --fast`` run: (run folder, exit code, stdout, stderr)."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("demo") / "run"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["demo", "--fast", "--out", str(out), "--device", "cpu", "--seed", "0"])
    return out, code, stdout.getvalue(), stderr.getvalue()


def test_demo_prints_progress_the_table_and_the_report_path(fast_run):
    out, code, stdout, stderr = fast_run
    assert code == 0, stderr
    for step in range(1, 6):
        assert f"[{step}/5]" in stdout
    table = stdout.split("\ncomparison", 1)[1]
    header = "comparison" + table.splitlines()[0]
    assert header.split() == ["comparison", "latentmix", "baseline", "verdict"]
    for row in ("clustering ACC", "anomaly AUROC", "anomaly average precision", "GAN FD, stratified",
                "GaussianMixture, same init as sklearn", "GaussianMixture fit time"):
        assert row in table, row
    # every verdict names a winner or a tie; a GAN loss on digits points to where it wins
    rows = [line for line in table.splitlines()[2:] if line.strip() and not line.startswith("report:")]
    assert all(any(w in r for w in ("latentmix better", "better", "tie", "same fit", "fits differ", "faster",
                                    "same speed", "see ", "precision")) for r in rows), rows
    gan_row = next(r for r in rows if r.startswith("GAN FD, stratified"))
    assert "latentmix better" in gan_row or "Fashion-MNIST (README)" in gan_row
    assert stdout.rstrip().endswith(f"report: {out / 'report.html'}")


def test_demo_metrics_json_has_every_comparison(fast_run):
    out, code, _, _ = fast_run
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(SECTIONS) | {"data", "seconds", "settings", "headlines"} <= set(metrics)
    assert metrics["data"] == "digits" and metrics["settings"]["fast"] is True
    clu = metrics["clustering"]
    for name in ("latent_gmm", "kmeans", "pixel_gmm"):
        assert 0 < clu[name]["acc"] <= 1 and 0 <= clu[name]["nmi"] <= 1
    assert metrics["generation"]["n_components"] == 10
    assert len(metrics["generation"]["component_purity"]) == 10
    anomaly = metrics["anomaly"]
    assert anomaly["held_out_classes"] == [0]
    for name in ("latentmix", "isolation_forest"):
        assert 0 <= anomaly[name]["auroc"] <= 1 and 0 < anomaly[name]["ap"] <= 1
    gan = metrics["gan"]
    for sampler in ("plain", "drs", "stratified"):
        assert gan[sampler]["frechet_distance"] > 0
    assert 0 < gan["stratified"]["acceptance_rate"] <= 1
    # the same start gives the same fit: this is latentmix's EM against scikit-learn's, not a formality
    mix = metrics["mixture"]
    assert mix["max_abs_lower_bound_difference"] < 1e-6 and mix["label_agreement"] == 1.0
    assert mix["n_iter"]["latentmix"] == mix["n_iter"]["scikit-learn"]
    assert mix["seconds"]["latentmix"] > 0 and mix["seconds"]["scikit-learn"] > 0
    assert [h["what"] for h in metrics["headlines"]][0].startswith("clustering ACC")


def test_demo_report_embeds_the_figures_and_the_tables(fast_run):
    out, code, _, _ = fast_run
    assert code == 0
    html = (out / "report.html").read_text()
    assert 'id="summary"' in html and 'class="summary"' in html and 'id="metrics-table"' in html
    assert html.index('id="summary"') < html.index('id="clustering"') < html.index('id="metrics"')  # headline first
    assert "/runs" not in html.split('id="metrics"', 1)[1]  # per-seed rows stay in metrics.json
    for section in SECTIONS:
        assert f'id="{section}"' in html, section
    for png in ("latent.png", "components.png", "anomaly_scores.png", "anomaly_roc.png", "gan_samples.png"):
        assert (out / png).read_bytes().startswith(b"\x89PNG"), png
        assert f'id="fig-{Path(png).stem}"' in html, png
    assert html.count("data:image/png;base64,") >= 6
    assert "component 9" in html  # one row per mixture component
    assert "IsolationForest better" in html or "latentmix better" in html or "tie" in html
    assert not list(out.glob("*.tmp"))  # no temp file left behind


def test_demo_json_is_one_object(tmp_path, capsys):
    code = main(["demo", "--fast", "--out", str(tmp_path / "run"), "--device", "cpu", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)
    assert set(SECTIONS) <= set(result) and result["report"].endswith("report.html")
    assert "[1/5]" in captured.err  # the progress went to stderr


def test_unlabelled_file_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(0).random((50, 1, 8, 8), dtype=np.float32))
    code = main(["demo", "--data", str(path), "--out", str(tmp_path / "run"), "--fast"])
    err = capsys.readouterr().err
    assert code == 2 and "labels" in err and "Traceback" not in err


def test_a_labelled_table_file_runs_every_comparison_but_the_gan(tmp_path, capsys):
    """The user's data: a table of three Gaussian blobs (values outside [0, 1]) in an .npz with labels."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 100)
    X = (rng.normal(size=(300, 6)) + 4.0 * np.eye(3, 6)[y]).astype(np.float32)
    path = tmp_path / "blobs.npz"
    np.savez(path, X=X, y=y)
    out = tmp_path / "run"
    code = main(["demo", "--data", str(path), "--out", str(out), "--fast", "--device", "cpu"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "GAN: skipped" in captured.out and "GAN FD" not in captured.out
    metrics = json.loads((out / "metrics.json").read_text())
    assert "gan" not in metrics and {"clustering", "generation", "anomaly", "mixture"} <= set(metrics)
    assert metrics["generation"]["n_components"] == 3
    assert metrics["mixture"]["label_agreement"] == 1.0
    assert metrics["anomaly"]["held_out_classes"] == [0]
    assert (out / "report.html").is_file() and (out / "components.png").is_file()


def test_bad_option_is_a_usage_error_without_traceback(capsys):
    code = main(["demo", "--seed", "not-a-number"])
    captured = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in captured.err and "seed" in captured.err


def test_bad_device_is_a_clear_error(tmp_path, capsys):
    code = main(["demo", "--out", str(tmp_path), "--device", "tpu"])
    assert code == 2
    assert "device" in capsys.readouterr().err


def test_unknown_dataset_is_a_clear_error(tmp_path, capsys):
    code = main(["demo", "--data", "no-such-data", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "no-such-data" in err and "Traceback" not in err


# ---------------------------------------------------------------------------- the pieces
def test_verdict_names_the_winner_and_ties_within_the_tolerance():
    assert verdict(0.9, 0.8) == "latentmix better"
    assert verdict(0.8, 0.9, name="k-means") == "k-means better"
    assert verdict(40.0, 60.0, higher_is_better=False) == "latentmix better"
    assert verdict(60.0, 40.0, higher_is_better=False, name="plain") == "plain better"
    assert verdict(0.85, 0.84, tolerance=0.02).startswith("tie")
    with pytest.raises(InvalidParameterError):
        verdict(float("nan"), 0.5)
    with pytest.raises(InvalidParameterError):
        verdict("0.5", 0.5)
    with pytest.raises(InvalidParameterError):
        verdict(0.5, 0.5, tolerance=-1)


def test_format_table_aligns_columns():
    text = format_table([Headline("a", "1", "2", "latentmix better"), Headline("longer row", "10.5", "3", "tie")])
    lines = text.splitlines()
    assert lines[0].split() == ["comparison", "latentmix", "baseline", "verdict"] and set(lines[1]) == {"-"}
    assert lines[2].index("1") == lines[3].index("10.5") == lines[0].index("latentmix")
    with pytest.raises(InvalidParameterError):
        format_table([])


def test_recipes_follow_the_data_size():
    assert recipe_for(64) == SMALL and recipe_for(784) == LARGE and recipe_for(784, fast=True) == FAST
    assert recipe_for(64).gan_arch == "mlp" and recipe_for(784).gan_arch == "dcgan"
    assert recipe_for(64).cluster_epochs > recipe_for(784).cluster_epochs  # digits: more epochs, far fewer rows
    short = recipe_for(64, epochs=3)
    assert short.cluster_epochs == short.detector_epochs == short.gan_epochs == 3
    for bad in (0, -1, 2.5, True):
        with pytest.raises(InvalidParameterError):
            recipe_for(bad)
    with pytest.raises(InvalidParameterError):
        recipe_for(64, epochs=0)


def test_settings_are_checked():
    assert DemoSettings().data == "digits" and DemoSettings(out="x").out == Path("x")
    for kwargs in ({"data": ""}, {"seed": -1}, {"epochs": 0}, {"fast": "yes"}, {"device": 3}, {"out": 5}):
        with pytest.raises(InvalidParameterError):
            DemoSettings(**kwargs)


def test_initial_parameters_are_a_valid_mixture():
    X = np.random.default_rng(0).normal(size=(200, 3))
    weights, means, precisions = initial_parameters(X, 4, 1e-3, seed=0)
    assert weights.shape == (4,) and abs(weights.sum() - 1) < 1e-9
    assert means.shape == (4, 3) and precisions.shape == (4, 3, 3)
    assert all(np.linalg.eigvalsh(p).min() > 0 for p in precisions)
    with pytest.raises(InvalidParameterError):
        initial_parameters(X[:3], 4, 1e-3, seed=0)
