"""``report.html``: one self-contained page a QA team can open from the run folder or attach to a
release ticket. Inline CSS and SVG only: no scripts, no fonts, nothing fetched. Every piece of text
from cases, documents and replies is escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from evals.charts import BAD, GOOD, NEUTRAL, bar_chart, histogram
from evals.scoring import TAG_METRICS
from evals.suite import LATENCY_STAGES, metric_info

WORST = 10
_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;line-height:1.45;padding:0 1rem}
h1{margin-bottom:.2rem} h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem} td,th{border:1px solid #ddd;padding:.25rem .5rem;
text-align:left;vertical-align:top} th{background:#f4f4f4} td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#2f7d4f;font-weight:600} .fail{color:#b4432f;font-weight:600}
.banner{padding:.6rem 1rem;border-radius:6px;font-weight:600;margin:1rem 0}
.banner.pass{background:#e5f3ea} .banner.fail{background:#f8e4e0}
.case{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.text{white-space:pre-wrap;background:#fafafa;border-left:3px solid #ccc;padding:.3rem .6rem;margin:.3rem 0;
font-size:.88rem} .relevant{border-left-color:#2f7d4f} .muted{color:#666;font-size:.85rem}
.charts{display:flex;flex-wrap:wrap;gap:1rem} svg.chart{background:#fff} .scroll{overflow-x:auto}
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "–" if value is None else _e(value)


def _cut(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[:limit] + " …"


def _is_metric(key: str, value: Any) -> bool:
    return metric_info(key) is not None and isinstance(value, int | float) and not isinstance(value, bool)


def _header(summary: Mapping[str, Any]) -> str:
    rows = [("mode", summary.get("mode")), ("cases", summary.get("cases")),
            ("answerable / must refuse", f"{summary.get('answerable')} / {summary.get('must_refuse')}"),
            ("cases file", summary.get("cases_file")), ("corpus", summary.get("corpus")),
            ("server", summary.get("url")), ("started", summary.get("started_at")),
            ("seconds: set-up / cases / total",
             f"{summary.get('index_seconds')} / {summary.get('cases_seconds')} / {summary.get('run_seconds')}"),
            ("cases failing their own checks", summary.get("failed_cases"))]
    config = summary.get("config") or {}
    rows += [(f"config: {k}", v) for k, v in config.items()]
    table = "".join(f"<tr><th>{_e(k)}</th><td>{_fmt(v)}</td></tr>" for k, v in rows if v is not None)
    description = f"<p>{_e(summary['description'])}</p>" if summary.get("description") else ""
    return f"<h1>Eval report: {_e(summary.get('suite'))}</h1>{description}<table>{table}</table>"


def _gates(summary: Mapping[str, Any]) -> str:
    gates = summary.get("gates") or []
    if not gates:
        return "<h2>Gates</h2><p>This suite sets no gates.</p>"
    ok = all(g["passed"] for g in gates)
    banner = (f'<div class="banner {"pass" if ok else "fail"}">'
              f'{"All gates passed" if ok else "A gate failed: this build must not be released"}</div>')
    rows = "".join(
        f'<tr><td>{_e(g["gate"])}</td><td class="num">{_fmt(g["value"])}</td>'
        f'<td class="{"pass" if g["passed"] else "fail"}">{"passed" if g["passed"] else "FAILED"}</td></tr>'
        for g in gates)
    return f"<h2>Gates</h2>{banner}<table><tr><th>gate</th><th>value</th><th>result</th></tr>{rows}</table>"


def _metrics(summary: Mapping[str, Any]) -> str:
    gate_result = {g["metric"]: g["passed"] for g in summary.get("gates") or []}
    shown = list(summary.get("shown_metrics") or [])
    keys = [k for k in shown if _is_metric(k, summary.get(k))] + [
        k for k, v in summary.items() if _is_metric(k, v) and k not in shown]
    rates = [k for k in keys if not k.startswith("latency_")]
    bars = [(k, float(summary[k]), GOOD if gate_result.get(k) else BAD if k in gate_result else NEUTRAL)
            for k in rates]
    chart = bar_chart(bars, "Metrics (green: gate passed, red: gate failed)") if bars else ""
    rows = "".join(
        f'<tr><td>{_e(k)}</td><td class="num">{_fmt(summary[k])}</td>'
        f'<td class="muted">{_e(info.description if (info := metric_info(k)) else "")}'
        f'{"" if info is None or info.higher_is_better else " (lower is better)"}</td></tr>'
        for k in keys)
    return f"<h2>Metrics</h2>{chart}<table><tr><th>metric</th><th>value</th><th>meaning</th></tr>{rows}</table>"


def _latency(summary: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> str:
    charts, rows = [], []
    for stage in LATENCY_STAGES:
        values = [float(r["timings"][stage]) for r in results if stage in (r.get("timings") or {})]
        if not values:
            continue
        charts.append(histogram(values, f"{stage} latency"))
        rows.append(f'<tr><td>{_e(stage)}</td><td class="num">{len(values)}</td>'
                    f'<td class="num">{_fmt(summary.get(f"latency_{stage}_p50_s"))}</td>'
                    f'<td class="num">{_fmt(summary.get(f"latency_{stage}_p95_s"))}</td></tr>')
    if not charts:
        return ""
    return (f'<h2>Latency per stage</h2><div class="charts">{"".join(charts)}</div>'
            f"<table><tr><th>stage</th><th>cases</th><th>p50 s</th><th>p95 s</th></tr>{''.join(rows)}</table>")


def _tags(summary: Mapping[str, Any], limit: int = 60) -> str:
    table = summary.get("by_tag") or {}
    if not table:
        return ""
    columns = [c for c in TAG_METRICS if any(c in row for row in table.values())]
    head = "".join(f"<th>{_e(c)}</th>" for c in ["tag", "cases", *columns])
    rows = "".join(
        f"<tr><td>{_e(tag)}</td><td class=\"num\">{row['cases']}</td>"
        + "".join(f'<td class="num">{_fmt(row.get(c))}</td>' for c in columns) + "</tr>"
        for tag, row in list(table.items())[:limit])
    more = f'<p class="muted">{len(table) - limit} smaller groups left out.</p>' if len(table) > limit else ""
    return (f'<h2>Breakdown by tag, language and way of answering</h2>'
            f'<div class="scroll"><table><tr>{head}</tr>{rows}</table></div>{more}')


def _badness(result: Mapping[str, Any]) -> tuple[float, ...]:
    m = result.get("metrics") or {}
    rank = m.get("first_relevant_rank")
    faithful = m.get("faithfulness")
    return (len(result.get("failures") or []), 99.0 if rank is None and result.get("evidence") else float(rank or 0),
            1.0 - (1.0 if faithful is None else float(faithful)))


def worst_cases(results: Sequence[Mapping[str, Any]], n: int = WORST) -> list[Mapping[str, Any]]:
    failing = [r for r in results if r.get("failures")]
    return sorted(failing, key=_badness, reverse=True)[:n]


def _case(result: Mapping[str, Any]) -> str:
    failures = "".join(f"<li>{_e(f)}</li>" for f in result.get("failures") or [])
    gold = "".join(f'<div class="text relevant">{_e(_cut(s))}</div>' for s in result.get("evidence") or [])
    reference = (f'<p><b>Reference answer</b></p><div class="text">{_e(_cut(result["reference_answer"]))}</div>'
                 if result.get("reference_answer") else "")
    retrieved = "".join(
        f'<p class="muted">#{_e(r["rank"])} {_e(r.get("title", ""))} › {_e(r.get("section", ""))} '
        f'score {_fmt(r.get("score"))}{" · holds gold evidence" if r.get("relevant") else ""}</p>'
        f'<div class="text{" relevant" if r.get("relevant") else ""}">{_e(_cut(r.get("text", ""), 400))}</div>'
        for r in (result.get("retrieved") or [])[:3])
    answer = ""
    if "answer" in result:
        cites = "".join(f'<li>[{_e(c.get("n"))}] {_e(c.get("document_title", ""))} › {_e(c.get("section", ""))}: '
                        f'{_e(_cut(str(c.get("quote", "")), 200))}</li>' for c in result.get("citations") or [])
        state = f" (refused: {_e(result.get('refusal_reason'))})" if result.get("refused") else ""
        answer = (f"<p><b>Answer</b>{state}</p><div class=\"text\">{_e(result['answer'])}</div>"
                  + (f"<ul class=\"muted\">{cites}</ul>" if cites else ""))
    tags = ", ".join(result.get("tags") or [])
    return (f'<div class="case"><h3>{_e(result["id"])} <span class="muted">{_e(tags)}</span></h3>'
            f'<ul class="fail">{failures}</ul><p><b>Question</b></p><div class="text">{_e(result["question"])}</div>'
            + (f"<p><b>Gold evidence</b></p>{gold}" if gold else "") + reference
            + (f"<p><b>Top retrieved</b></p>{retrieved}" if retrieved else "") + answer + "</div>")


def render_report(summary: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> str:
    worst = worst_cases(results)
    worst_html = ("".join(_case(r) for r in worst) if worst
                  else "<p>Every case passed its own checks.</p>")
    body = (_header(summary) + _gates(summary) + _metrics(summary) + _latency(summary, results) + _tags(summary)
            + f"<h2>Worst cases ({len(worst)} of {summary.get('failed_cases', 0)} failing)</h2>{worst_html}")
    return (f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Eval report: {_e(summary.get('suite'))}</title><style>{_CSS}</style></head>"
            f"<body>{body}</body></html>\n")


def write_report(path: Path, summary: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> None:
    path.write_text(render_report(summary, results), encoding="utf-8")
