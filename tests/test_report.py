"""Reports: ``latentmix train`` writes RUN/report.html, ``latentmix report RUN`` rewrites it; the
page is self-contained and its sections follow what the model can do. Runs trained for real by
the CLI on the 8x8 digits, one epoch each."""

import base64
import io
import json
from html.parser import HTMLParser

import pytest

from latentmix.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
COMMON = ["--data", "digits", "--epochs", "1", "--device", "cpu", "--seed", "0", "--verbose", "0"]
RUNS = {
    "ae": ["ae", "--latent-dim", "6"],
    "gan": ["gan", "--arch", "mlp"],
    "aae": ["aae", "--prior", "gmm:10", "--latent-dim", "8"],
}


class Page(HTMLParser):
    """The parts of report.html the tests look at: images, figures' rows, section and table ids."""

    def __init__(self, text: str):
        super().__init__()
        self.images, self.rows, self.ids = [], {}, set()
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "img":
            self.images.append(attrs)
        if tag == "figure" and attrs.get("data-rows"):
            self.rows[attrs["id"]] = attrs["data-rows"].split("|")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("report-runs")
    for name, args in RUNS.items():
        assert main(["train", *args, *COMMON, "--out", str(root / name)]) == 0, name
    return root


def page_of(run_dir) -> Page:
    return Page((run_dir / "report.html").read_text(encoding="utf-8"))


def decoded_images(page: Page) -> list[bytes]:
    out = []
    for img in page.images:
        src = img["src"]
        assert src.startswith("data:image/png;base64,"), src[:60]
        out.append(base64.b64decode(src.split(",", 1)[1], validate=True))
    return out


@pytest.mark.parametrize("name", list(RUNS))
def test_train_writes_a_self_contained_report(runs, name):
    from PIL import Image

    page = page_of(runs / name)
    assert page.images, "no images"
    for data in decoded_images(page):
        assert data.startswith(PNG_MAGIC)
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    assert {"metrics", "metrics-table", "losses"} <= page.ids
    text = (runs / name / "report.html").read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text  # nothing to fetch: works offline
    for img in page.images:
        assert img["alt"]
    assert (runs / name / "losses.png").is_file()


def test_autoencoder_report_has_labelled_reconstruction_rows_and_latent_view(runs):
    page = page_of(runs / "ae")
    assert page.rows["fig-reconstruction"] == ["input", "reconstruction"]
    assert {"reconstruction", "latent"} <= page.ids
    assert "samples" not in page.ids and "outliers" not in page.ids  # a plain AE neither generates nor scores
    assert (runs / "ae" / "reconstruction.png").is_file() and (runs / "ae" / "latent.png").is_file()


def test_gan_report_has_samples_but_no_reconstructions(runs):
    page = page_of(runs / "gan")
    assert "samples" in page.ids
    assert "reconstruction" not in page.ids and "latent" not in page.ids
    assert "rejection (DRS)" in page.rows["fig-samples"]  # the CLI's GAN is calibrated for rejection


def test_aae_report_has_one_sample_row_per_component_and_the_mixture(runs):
    page = page_of(runs / "aae")
    assert page.rows["fig-samples"] == [f"component {k}" for k in range(10)]
    assert page.rows["fig-reconstruction"] == ["input", "reconstruction"]
    text = (runs / "aae" / "report.html").read_text(encoding="utf-8")
    assert "latent" in page.ids and "Ellipses: 2-sigma contours" in text  # the mixture prior's components


def test_report_command_adds_the_evaluation_to_the_metrics_table(runs, capsys):
    run_dir = runs / "ae"
    assert main(["evaluate", str(run_dir), "--probe-samples", "200"]) == 0
    capsys.readouterr()
    assert main(["report", str(run_dir), "--rows", "100"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == f"wrote {run_dir / 'report.html'}"
    text = (run_dir / "report.html").read_text(encoding="utf-8")
    evaluation = json.loads((run_dir / "evaluation.json").read_text())
    assert "evaluation.json" in text and "reconstruction_psnr_db" in text
    assert f"{evaluation['linear_probe_accuracy']:.4g}" in text
    assert "over 100 test rows" in text


def test_report_of_a_missing_run_is_a_one_line_error(tmp_path, capsys):
    code = main(["report", str(tmp_path / "nothing")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_failing_report_does_not_fail_training(tmp_path, capsys, monkeypatch):
    import latentmix.report

    def broken(*args, **kwargs):
        raise RuntimeError("figure trouble\nsecond line")

    monkeypatch.setattr(latentmix.report, "write_report", broken)
    out = tmp_path / "ae"
    assert main(["train", "ae", *COMMON, "--latent-dim", "4", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "figure trouble" in warnings[0] and "second line" not in err
    assert (out / "weights.safetensors").is_file() and not (out / "report.html").exists()


@pytest.mark.parametrize("where", ["front", "end"])
def test_quiet_training_prints_nothing(tmp_path, capsys, where):
    args = ["train", "ae", "--data", "digits", "--epochs", "1", "--device", "cpu", "--latent-dim", "4",
            "--out", str(tmp_path / "ae"), "--no-report"]
    args = ["--quiet", *args] if where == "front" else [*args, "--quiet"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert (tmp_path / "ae" / "weights.safetensors").is_file() and not (tmp_path / "ae" / "report.html").exists()


def test_report_of_a_run_whose_data_is_gone_keeps_the_other_sections(runs, tmp_path):
    import shutil

    from latentmix.report import write_report

    run_dir = tmp_path / "copy"
    shutil.copytree(runs / "ae", run_dir)
    options = json.loads((run_dir / "options.json").read_text())
    (run_dir / "options.json").write_text(json.dumps({**options, "data": str(tmp_path / "gone.npy")}))
    page = Page(write_report(run_dir).read_text(encoding="utf-8"))
    assert "losses" in page.ids and "metrics-table" in page.ids and "reconstruction" not in page.ids
    assert "could not be read" in (run_dir / "report.html").read_text(encoding="utf-8")


def test_outlier_truth_from_binary_labels_or_the_normal_class():
    import numpy as np

    from latentmix.report.sections import outlier_truth

    y = np.array([0, 1, 2, 1])
    assert outlier_truth(y, {"normal_class": 1}).tolist() == [1, 0, 1, 0]
    assert outlier_truth(np.array([0, 1, 1]), {}).tolist() == [0, 1, 1]
    assert outlier_truth(y, {}) is None and outlier_truth(None, {"normal_class": 0}) is None


def test_image_rows_draws_grey_colour_and_table_rows(tmp_path):
    import numpy as np
    from PIL import Image

    from latentmix.report import figures

    rng = np.random.default_rng(0)
    for name, shape in [("grey", (6, 1, 8, 8)), ("colour", (6, 3, 12, 12)), ("table", (6, 5))]:
        a = rng.random(shape)
        path = figures.image_rows([("input", a), ("reconstruction", a * 0.5)], tmp_path / f"{name}.png")
        with Image.open(path) as image:
            assert image.format == "PNG" and image.size[0] > 100
    with Image.open(tmp_path / "colour.png") as image:
        assert (255, 255, 255) in {c for _, c in image.convert("RGB").getcolors(1 << 20)}  # white gaps, not black


def test_report_of_a_model_saved_from_python_without_options(tmp_path):
    import numpy as np

    import latentmix as lm
    from latentmix.report import write_report

    X = np.random.default_rng(0).random((64, 10)).astype(np.float32)
    model = lm.AutoEncoder(latent_dim=2, epochs=1, device="cpu", random_state=0, verbose=0).fit(X)
    model.save(tmp_path / "run")
    text = write_report(tmp_path / "run").read_text(encoding="utf-8")
    assert "does not name its data" in text and "AutoEncoder on unknown data" in text
