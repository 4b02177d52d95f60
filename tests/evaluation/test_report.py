"""Reports: plots and tables in the HTML, tables without matplotlib, and a real headless browser render."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tagllm.evaluation import report
from tagllm.evaluation.harness import load_eval_config, run_eval

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Injected into a copy of the page: records errors, then reports what rendered and whether sorting works.
PROBE_HEAD = """<script>
window.__errors = [];
window.addEventListener("error", function (e) { window.__errors.push(String(e.message)); });
var __ce = console.error;
console.error = function () {
  window.__errors.push([].join.call(arguments, " ")); __ce.apply(console, arguments);
};
</script>"""
PROBE_TAIL = """<script>
window.addEventListener("load", function () {
  var figs = document.querySelectorAll("figure.plot svg"), drawn = 0;
  figs.forEach(function (s) {
    var r = s.getBoundingClientRect();
    if (r.width > 50 && r.height > 50 && s.querySelector("path, text")) drawn++;
  });
  var sorted = null, t = document.querySelector("table.sortable[data-table=per-tag]");
  if (t) {
    var col = 5, th = t.tHead.rows[0].cells[col];
    t.closest("details").open = true; th.click();
    var v = [].map.call(t.tBodies[0].rows, function (r) { return parseFloat(r.cells[col].textContent); });
    sorted = v.every(function (x, i) { return i === 0 || v[i - 1] >= x; });
  }
  var out = document.createElement("pre"); out.id = "__probe";
  out.textContent = JSON.stringify({
    plots: figs.length, drawn: drawn, sorted: sorted, errors: window.__errors,
    tables: document.querySelectorAll("table").length
  });
  document.body.appendChild(out);
});
</script>"""


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def browser_probe(html: Path, browser: str) -> dict:
    page = html.read_text(encoding="utf-8")
    probed = html.with_name("probe-" + html.name)
    probed.write_text(
        page.replace("<head>", "<head>" + PROBE_HEAD, 1).replace("</body>", PROBE_TAIL + "</body>", 1),
        encoding="utf-8",
    )
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [
                browser,
                *BROWSER_FLAGS,
                f"--user-data-dir={profile}",
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=5000",
                "--dump-dom",
                probed.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    match = re.search(r'<pre id="__probe">(.*?)</pre>', proc.stdout, re.S)
    assert match, f"the page did not finish loading in {browser}: {proc.stderr[-2000:]}"
    result = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    # Console messages the page itself logged (not the browser's own start-up chatter).
    result["console"] = [line for line in proc.stderr.splitlines() if "CONSOLE" in line and "probe-" in line]
    return result


@pytest.fixture
def tiny_run(eval_dir, fake_factory):
    cfg = load_eval_config(eval_dir / "eval.yaml", sweep={"k": [5, 10]})
    cfg = cfg.model_copy(update={"sweep": {"prompt": [str(eval_dir / "a.j2"), str(eval_dir / "b.j2")]}})
    return run_eval(cfg, factory=fake_factory, root=eval_dir / "runs" / "tiny")


def test_html_report_is_self_contained_with_five_plots(tiny_run):
    html = (tiny_run.runs[0] / "report.html").read_text()
    assert html.count('<figure class="plot"') == 5
    assert [m for m in re.findall(r'data-plot="([^"]+)"', html)] == [
        "routing",  # a run of the default: kept accuracy against the share routed to an LLM
        "per-tag F1",
        "calibration",
        "precision-coverage",
        "confusions",
    ]
    # Nothing fetched from anywhere: no external script, stylesheet, image or font.
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "@import" not in html and "url(http" not in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "inline SVGs must not share element ids"
    comparison = tiny_run.comparison.read_text()
    assert comparison.count('<figure class="plot"') == 2


def test_report_renders_tables_without_matplotlib(tiny_run, monkeypatch):
    monkeypatch.setattr(report, "_pyplot", lambda: None)
    metrics = json.loads((tiny_run.runs[0] / "metrics.json").read_text())
    html = report.render_html(metrics)
    assert "<svg" not in html
    assert "Plots need matplotlib: pip install 'tagllm[report]'. The tables below are complete." in html
    assert '<td>Clothing &gt; Shorts</td><td>Clothing &gt; Shirts</td><td class="n">1</td>' in html


def test_import_tagllm_does_not_import_matplotlib_or_sklearn():
    code = (
        "import sys, tagllm, tagllm.evaluation.harness, tagllm.evaluation.metrics; "
        "print(sorted(m for m in ('matplotlib', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.skipif(find_browser() is None, reason="no chromium: apt-get install -y chromium fonts-noto-cjk")
def test_reports_render_in_a_headless_browser_with_plots_and_no_console_errors(tiny_run):
    browser = find_browser()
    assert browser is not None
    result = browser_probe(tiny_run.runs[0] / "report.html", browser)
    # the routing plot of a run of the default, and the facet's four
    assert (result["plots"], result["drawn"], result["errors"], result["console"]) == (5, 5, [], [])
    assert result["sorted"] is True
    result = browser_probe(tiny_run.comparison, browser)
    assert (result["plots"], result["drawn"], result["errors"], result["console"]) == (2, 2, [], [])


def test_markdown_report_shows_titles_ids_and_paths_letter_for_letter(tiny_run):
    # a "|" in a taxonomy path split its table cell (the path's tail read as the support), a title's line break
    # ended its list item, a backtick opened a code span, and a <script> in a title or id went into report.md as raw
    # HTML: markdown-it rendered 11 <script> elements from a four-product report
    markdown_it = pytest.importorskip("markdown_it")
    text = (tiny_run.runs[0] / "metrics.json").read_text()
    for plain, odd in (
        ("Clothing > Shorts", "Clothing > Shorts | Pants `x`"),
        ("Cycling shorts", "Cycling <script>alert(1)</script> shorts\nwith | a `tick`"),
        ("p2", "<b>p2</b> | `p`"),
    ):
        text = text.replace(plain, json.dumps(odd)[1:-1])
    page = report.render_markdown(json.loads(text))
    parser = markdown_it.MarkdownIt("commonmark").enable("table")
    tokens = parser.parse(page)
    inline = [t for token in tokens for t in token.children or []]
    assert not [t for t in tokens + inline if t.type.startswith("html")]  # nothing passed on as HTML
    rows: list[list[str]] = []
    for token, after in zip(tokens, tokens[1:], strict=False):
        if token.type == "tr_open":
            rows.append([])
        elif token.type in ("th_open", "td_open"):
            rows[-1].append("".join(child.content for child in after.children or []))
    headers = {len(r) for r in rows}
    assert "Clothing > Shorts | Pants `x`" in [cell for row in rows for cell in row]
    assert all(len(row) in headers for row in rows) and len(headers) > 1
    html = parser.render(page)
    assert "<strong>Cycling &lt;script&gt;alert(1)&lt;/script&gt; shorts with | a `tick`</strong>" in html
    assert "(<code>&lt;b&gt;p2&lt;/b&gt; | `p`</code>, category)" in html


def test_plot_labels_with_dollar_signs_are_drawn_as_text_not_formulas(tiny_run):
    # matplotlib read "$…$" in a label as mathtext: "Under $5 > Gifts $10" was drawn as a formula, and a path whose
    # "$…$" is no formula stopped the eval run (exit 3, a traceback) before report.html was written
    pytest.importorskip("matplotlib")
    odd = "Clothing > Shorts $10 \\x and $20^"
    text = (tiny_run.runs[0] / "metrics.json").read_text()
    metrics = json.loads(text.replace("Clothing > Shorts", json.dumps(odd)[1:-1]))
    html = report.render_html(metrics)
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", html)
    assert "Clothing &gt; Shorts $10 \\x and $20^ (1)" in labels  # the per-tag F1 plot's label, letter for letter
