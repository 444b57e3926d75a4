"""report.html renders in a real browser: headless Chromium (Debian's ``chromium`` package, which
.ci/run installs) takes a screenshot of the page, and a copy of the page with a small script
reports every image's decoded size into the DOM, which Chromium dumps. Skipped without Chromium."""

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from latentmix.cli import main

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed "
                                                         "(Debian: apt-get install -y chromium)")

CHECK_SCRIPT = """<script>
window.addEventListener('load', function () {
  var rows = Array.prototype.map.call(document.images, function (im) {
    return {alt: im.alt, complete: im.complete, width: im.naturalWidth, height: im.naturalHeight};
  });
  var table = document.getElementById('metrics-table');
  var out = document.createElement('pre');
  out.id = 'render-check';
  out.textContent = JSON.stringify({images: rows, metricRows: table ? table.tBodies[0].rows.length : -1});
  document.body.appendChild(out);
});
</script>
"""


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("browser") / "aae"
    assert main(["train", "aae", "--prior", "gmm:10", "--latent-dim", "8", "--data", "digits", "--epochs", "1",
                 "--device", "cpu", "--seed", "0", "--verbose", "0", "--out", str(run_dir)]) == 0
    return run_dir / "report.html"


def test_screenshot_is_written_and_not_blank(report, tmp_path):
    from PIL import Image, ImageStat

    shot = tmp_path / "shot.png"
    result = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2000", report.resolve().as_uri())
    assert shot.is_file(), result.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.size == (1200, 2000)
        grey = image.convert("L")
        low, high = grey.getextrema()
        assert high - low > 100, "a blank page"
        assert ImageStat.Stat(grey).stddev[0] > 10, "a nearly uniform page"
        assert len(grey.getcolors(maxcolors=256 * 256) or range(256)) > 16


def test_every_image_decodes_and_the_metrics_table_renders(report, tmp_path):
    page = report.read_text(encoding="utf-8")
    n_images = page.count("<img ")
    check = tmp_path / "check.html"  # a copy beside nothing: the page must need no other file
    check.write_text(page.replace("</body>", CHECK_SCRIPT + "</body>"), encoding="utf-8")
    result = chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", check.resolve().as_uri())
    found = re.search(r'<pre id="render-check">(.*?)</pre>', result.stdout, re.S)
    assert found, result.stderr[-2000:]
    state = json.loads(html.unescape(found.group(1)))
    assert len(state["images"]) == n_images >= 4
    for image in state["images"]:
        assert image["complete"] and image["width"] > 0 and image["height"] > 0, image
    assert state["metricRows"] > 0
