"""The task commands through the real command line on the 8x8 digits: cluster, fit-detector,
detect, and evaluate on both kinds of run; --help examples; bad arguments."""

import csv
import json

import numpy as np
import pytest

import latentmix as lm
from latentmix.cli import main

pytestmark = pytest.mark.usefixtures("one_thread")
COMMON = ["--device", "cpu", "--seed", "0", "--verbose", "0"]


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    assert main(["cluster", "--data", "digits", "--n-clusters", "10", "--epochs", "20", *COMMON,
                 "--out", str(root / "clu")]) == 0
    assert main(["fit-detector", "--data", "digits", "--normal-class", "0", "--epochs", "30", *COMMON,
                 "--out", str(root / "det")]) == 0
    return root


def test_cluster_run_folder(runs):
    clu = runs / "clu"
    labels = np.load(clu / "labels.npy")
    X, y = lm.datasets.load("digits", split="train")
    assert labels.shape == (len(X),) and labels.max() < 10
    metrics = json.loads((clu / "metrics.json").read_text())
    assert metrics["acc"] == pytest.approx(lm.metrics.clustering_accuracy(y, labels))
    assert metrics["acc"] > 0.6 and {"nmi", "ari", "fit_seconds"} <= set(metrics)
    assert (clu / "clusters.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model = lm.load(clu)
    assert isinstance(model, lm.DeepClustering)
    np.testing.assert_array_equal(model.predict(X.numpy()), labels)


def test_evaluate_cluster_run(runs, capsys):
    code, out, _ = run(["evaluate", str(runs / "clu"), "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert result["model"] == "DeepClustering" and 0.4 < result["clustering/acc"] <= 1
    assert {"clustering/nmi", "clustering/ari"} <= set(result)


def test_detect_writes_scores_and_labels(runs, tmp_path, capsys):
    code, out, _ = run(["detect", str(runs / "det"), "--data", "digits", "--out", str(tmp_path / "s.csv")], capsys)
    assert code == 0 and "rows scored" in out
    with open(tmp_path / "s.csv") as f:
        rows = list(csv.DictReader(f))
    Xt, yt = lm.datasets.load("digits", split="test")
    det = lm.load(runs / "det")
    assert len(rows) == len(Xt) and set(rows[0]) == {"index", "score", "label", "y"}
    scores = np.array([float(r["score"]) for r in rows])
    np.testing.assert_allclose(scores, det.decision_function(Xt.numpy()), rtol=1e-6)
    np.testing.assert_array_equal([int(r["label"]) for r in rows], det.predict(Xt.numpy()))
    code, _, _ = run(["detect", str(runs / "det"), "--data", "digits", "--contamination", "0.5",
                      "--out", str(tmp_path / "t.csv")], capsys)
    with open(tmp_path / "t.csv") as f:
        flagged = np.mean([int(r["label"]) for r in csv.DictReader(f)])
    assert code == 0 and flagged > np.mean([int(r["label"]) for r in rows])


def test_evaluate_detector_run(runs, capsys):
    code, out, _ = run(["evaluate", str(runs / "det"), "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert result["model"] == "AnomalyDetector"
    assert result["outlier/auroc"] > 0.8 and 0 < result["outlier/average_precision"] <= 1  # 9 digits vs digit 0
    assert result["outlier/outlier_rate"] == pytest.approx(0.9, abs=0.02)


def test_help_has_examples(capsys):
    for command in ("cluster", "fit-detector", "detect"):
        code, out, _ = run([command, "--help"], capsys)
        assert code == 0 and "Example:" in out and f"latentmix {command}" in out


def test_bad_arguments(runs, tmp_path, capsys):
    code, _, err = run(["cluster", "--data", "digits", "--n-clusters", "2000", "--epochs", "1", *COMMON,
                        "--out", str(tmp_path / "x")], capsys)
    assert code == 2 and "more than the 1437 samples" in err
    code, _, err = run(["fit-detector", "--data", "digits", "--contamination", "0.7", *COMMON,
                        "--out", str(tmp_path / "y")], capsys)
    assert code == 2 and "contamination" in err and not (tmp_path / "y").exists()
    code, _, err = run(["detect", str(runs / "clu"), "--data", "digits", "--out", str(tmp_path / "z.csv")], capsys)
    assert code == 2 and "OutlierMixin" in err
    code, _, err = run(["detect", str(tmp_path / "missing"), "--data", "digits", "--out", str(tmp_path / "z.csv")],
                       capsys)
    assert code == 2 and "not a folder" in err
    cfg = tmp_path / "c.toml"
    cfg.write_text("n_cluster = 3\n")
    code, _, err = run(["cluster", "--data", "digits", "--n-clusters", "3", "--config", str(cfg), "--dry-run"], capsys)
    assert code == 2 and "n_cluster" in err
    code, out, _ = run(["cluster", "--data", "digits", "--n-clusters", "3", "--method", "aae", "--dry-run"], capsys)
    assert code == 0 and json.loads(out)["resolved"]["method"] == "aae"
