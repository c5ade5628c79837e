"""A run as JUnit XML, for CI dashboards: one test case per gate, one per case that failed its checks.

The gates decide the exit status; the failed cases are listed so a dashboard shows which questions
went wrong, each with its failure messages.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: Any) -> str:
    """``value`` as text XML 1.0 can hold (attack prompts may carry control characters)."""
    return _NOT_XML.sub("\ufffd", str(value))


def junit_xml(summary: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> ET.ElementTree[ET.Element]:
    name = _text(summary.get("suite") or "eval")
    gates = summary.get("gates") or []
    failed_cases = [r for r in results if r.get("failures")]
    root = ET.Element("testsuites", name=name, tests=str(len(gates) + len(failed_cases)),
                      failures=str(sum(not g["passed"] for g in gates) + len(failed_cases)),
                      time=f"{float(summary.get('run_seconds') or 0):.2f}")

    gate_suite = ET.SubElement(root, "testsuite", name=f"{name}.gates", tests=str(len(gates)),
                               failures=str(sum(not g["passed"] for g in gates)), errors="0", skipped="0")
    properties = ET.SubElement(gate_suite, "properties")
    for key in ("mode", "cases", "cases_file", "corpus", "url", "started_at"):
        ET.SubElement(properties, "property", name=key, value=_text(summary.get(key)))
    for gate in gates:
        case = ET.SubElement(gate_suite, "testcase", classname=f"{name}.gates", name=_text(gate["gate"]))
        if not gate["passed"]:
            failure = ET.SubElement(case, "failure", message=_text(gate["message"]), type="GateFailed")
            failure.text = _text(gate["message"])

    case_suite = ET.SubElement(root, "testsuite", name=f"{name}.cases", tests=str(len(failed_cases)),
                               failures=str(len(failed_cases)), errors="0", skipped="0",
                               time=f"{float(summary.get('cases_seconds') or 0):.2f}")
    ET.SubElement(ET.SubElement(case_suite, "properties"), "property", name="cases_run", value=str(len(results)))
    for r in failed_cases:
        seconds = (r.get("timings") or {}).get("total") or (r.get("timings") or {}).get("retrieve") or 0
        case = ET.SubElement(case_suite, "testcase", classname=f"{name}.cases", name=_text(r["id"]),
                             time=f"{float(seconds):.3f}")
        failures = [_text(f) for f in r["failures"]]
        failure = ET.SubElement(case, "failure", message=failures[0], type="CaseFailed")
        failure.text = "\n".join([_text(f"question: {r['question']}"), *failures])
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(path: Path, summary: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> None:
    junit_xml(summary, results).write(path, encoding="utf-8", xml_declaration=True)
