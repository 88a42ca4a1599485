"""``bestofn report``: a self-contained HTML page of a run; candidate text is shown, never run."""

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sampler.backends.replay import ReplayBackend
from sampler.cli import main
from sampler.config import SampleConfig
from sampler.core.api import solve
from sampler.experiments.scale import scale
from sampler.terminal.report import REPORT, write_report
from tests.unit.fakes import MarkerVerifier, fenced, make_task
from tests.unit.test_loop import RIGHT, WRONG

# A wrong answer whose text would run script in the page if it were not escaped.
HOSTILE = ("def f1(x: int) -> int:\n    s = '</pre><script>document.title=\"pwned\"</script>'\n"
           "    t = '<img src=x onerror=\"document.title=1\">'\n    return x\n")


def _run(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    script = {"T/0": [fenced(RIGHT.format(i=0))],
              "T/1": [fenced(HOSTILE), fenced(WRONG.format(i=1))],
              "T/2": [fenced(WRONG.format(i=2)), fenced(RIGHT.format(i=2))]}
    solve([make_task(i) for i in range(3)], out=out, backend=ReplayBackend(script),
          verifier=MarkerVerifier(), sample=SampleConfig(n=2))
    return out


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.scripts += tag == "script"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_report_shows_every_task_and_sample_and_escapes_candidate_text(tmp_path: Path) -> None:
    out = _run(tmp_path)
    page = write_report(out).read_text()
    parsed = _Text()
    parsed.feed(page)
    text = "".join(parsed.text)
    assert parsed.scripts == 1 and "img" not in parsed.tags  # only the page's own script
    assert "document.title=\"pwned\"" in text  # shown as text
    for task_id in ("T/0", "T/1", "T/2"):
        assert task_id in text
    assert "solved by s1 (cheap)" in text and "unsolved" in text
    assert "s0 (chosen)" in text and "AssertionError in check of s0" in text  # the verdict detail
    assert "2 (66.7%)" in text  # solved


def test_cli_report_and_its_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(tmp_path)
    assert main(["report", str(out), "--out", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert main(["report", str(tmp_path / "missing")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty")]) == 2
    assert "no run here" in capsys.readouterr().err
    # --out a directory, or in one that does not exist: exit 2, nothing left behind (red team).
    for bad in (tmp_path / "empty", tmp_path / "nowhere" / "r.html"):
        assert main(["report", str(out), "--out", str(bad)]) == 2
        assert "--out must be a file" in capsys.readouterr().err
    assert list((tmp_path / "empty").iterdir()) == []
    # A run.json that is not an object was shown as no settings; one that cannot be read is exit 2.
    for bad_manifest in (b"[1, 2]", b"\xff{}"):
        (out / "run.json").write_bytes(bad_manifest)
        assert main(["report", str(out), "--out", str(tmp_path / "r.html")]) == 2
        assert "run.json" in capsys.readouterr().err


def test_a_scale_directory_gets_a_section_per_model_and_the_figure(tmp_path: Path) -> None:
    script = {"T/0": [fenced(RIGHT.format(i=0)), fenced(WRONG.format(i=0))]}
    scale([make_task(0)], out=tmp_path, models=[ReplayBackend(script, model="a"), ReplayBackend(script, model="b")],
          verifier=MarkerVerifier(), sample=SampleConfig(n=2))
    page = write_report(tmp_path).read_text()
    assert "data:image/png;base64," in page and page.count("<h2>") == 3  # figure, a, b


@pytest.mark.slow
def test_the_report_renders_in_a_real_browser_and_candidate_text_stays_inert(tmp_path: Path) -> None:
    browser = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    assert browser, "scripts/install.sh installs chromium-headless-shell for this test"
    page = write_report(_run(tmp_path))
    assert page.name == REPORT
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120, check=True).stdout
    assert "3 of 3 tasks shown" in dom  # the page's script ran
    assert "<title>bestofn report: run</title>" in dom  # and no candidate's did
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=1000,700", page.as_uri()], capture_output=True, timeout=120, check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
