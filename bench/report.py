"""Render bench/results/*.json as the table in bench/README.md.

    python -m bench.report bench/results/A.json bench/results/B.json …

Replaces everything between the RESULTS markers in bench/README.md; the newest file wins per
(database, scale, workload).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

README = Path(__file__).with_name("README.md")
START, END = "<!-- RESULTS:START -->", "<!-- RESULTS:END -->"


def rows(paths: list[Path]) -> list[str]:
    latest: dict[tuple[str, str, str], dict] = {}
    for path in sorted(paths):
        for item in json.loads(path.read_text(encoding="utf-8")):
            if item.get("workload") in ("setup", "setup_cases"):
                continue
            latest[(item["db"], item["scale"], item["workload"])] = item | {"file": path.name}
    out = [
        "| db | scale | workload | Linli | limit / baseline | ratio | note |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (db, scale, workload), item in sorted(latest.items()):
        try:
            out.extend(_render(db, scale, workload, item))
        except (KeyError, TypeError, AttributeError):
            # A result file from before its workload's output changed shape: named, not rendered.
            out.append(f"| {db} | {scale} | {workload} | see its section below ({item['file']}) | | | |")
    return out


def _render(db: str, scale: str, workload: str, item: dict) -> list[str]:
    out: list[str] = []
    if workload == "search":
        for kind, t in item["types"].items():
            out.append(
                f"| {db} | {scale} ({item['residents']:,}) | search: {kind} | p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms"
                f" | p95 {t['baseline_p95_ms']} ms | {t['speedup_p95']}× faster | |"
            )
    elif workload == "dashboard":
        for part, t in item["parts"].items():
            out.append(
                f"| {db} | {scale} ({item['residents']:,} residents, {item['cases']:,} cases) | dashboard: {part}"
                f" | p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms | p50 {t['limit_p50_ms']} ms (raw SQL GROUP BY)"
                f" | {t['ratio_p50']}× | |"
            )
        for part, t in item.get("pages", {}).items():
            out.append(
                f"| {db} | {scale} | dashboard page: {part} (`{t['url']}`)"
                f" | warm p95 {t['warm_p95_ms']} ms, cold p95 {t['cold_p95_ms']} ms | limit {t['limit_ms']} ms"
                f" (raw SQL of its two aggregates: p50 {t['raw_sql_p50_ms']} ms)"
                f" | warm {'✓' if t['warm_within_limit'] else '✗'} cold {'✓' if t['cold_within_limit'] else '✗'} | |"
            )
    elif workload == "volunteers":
        size = f"{scale} ({item['volunteers']:,} volunteers, {item['records']:,} records)"
        for kind, t in item["types"].items():
            cpu = f", CPU p95 {t['cpu_p95_ms']} ms" if "cpu_p95_ms" in t else ""
            limit = f"SQL limit p95 {t['limit_p95_ms']} ms; " if "limit_p95_ms" in t else ""
            ratio = f"{t['ratio_p95']}× the SQL limit; " if "ratio_p95" in t else ""
            out.append(
                f"| {db} | {size} | volunteer search: {kind} | p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms{cpu}"
                f" | bar 20 ms; {limit}icontains p95 {t['baseline_p95_ms']} ms"
                f" | {ratio}{round(t['p95_ms'] / 20, 2)} of bar | |"
            )
        st, pdf = item["statistics"], item["proof_pdf"]
        cpu = f", CPU p95 {st['cpu_p95_ms']} ms" if "cpu_p95_ms" in st else ""
        limit = (
            f"SQL limit p95 {st['limit_p95_ms']} ms"
            if "limit_p95_ms" in st
            else f"raw SQL p50 {st.get('raw_sql_p50_ms')} ms"
        )
        ratio = f"{st['ratio_p95']}× the SQL limit; " if "ratio_p95" in st else ""
        out.append(
            f"| {db} | {size} | volunteer statistics | p50 {st['p50_ms']} ms, p95 {st['p95_ms']} ms{cpu}"
            f" | bar 150 ms; {limit} | {ratio}{round(st['p95_ms'] / 150, 2)} of bar | |"
        )
        out.append(
            f"| {db} | {size} | proof PDF | p50 {pdf['p50_ms']} ms, max {pdf['max_ms']} ms"
            f" | limit 1000 ms | {round(pdf['max_ms'] / 1000, 2)} of limit | |"
        )
    elif workload == "surveys":
        out.append(
            f"| {db} | {scale} ({item['answer_sheets']:,} answer sheets, {item['answer_rows']:,} answers)"
            f" | surveys: results | p50 {item['p50_ms']} ms, p95 {item['p95_ms']} ms (CPU p50 {item['cpu_p50_ms']} ms)"
            f" | limit 300 ms; raw SQL GROUP BY over the answers p50 {item['limit_p50_ms']} ms"
            f" | {item['ratio_p50']}× the GROUP BY; {round(item['p95_ms'] / 300, 2)} of limit | |"
        )
    elif workload == "opinions":
        for part, t in item["parts"].items():
            out.append(
                f"| {db} | {scale} ({item['opinions']:,} opinions) | opinions: {part}"
                f" | p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms | p50 {t['limit_p50_ms']} ms (raw SQL)"
                f" | {t['ratio_p50']}× | no ANALYZE after the load |"
            )
    elif workload == "api_load":
        ceiling = item["ceiling"]
        for part in ("case_list", "case_create"):
            t = item[part]
            share = item["list_share_of_ceiling" if part == "case_list" else "create_share_of_ceiling"]
            out.append(
                f"| {db} | {scale} | API {item['clients']} clients: {part} | {t['rps']} req/s, p50 {t['p50_ms']} ms,"
                f" p99 {t['p99_ms']} ms | {ceiling['rps']} req/s (GET /health, same server) | {share} of ceiling"
                f" | {t['failures']} failures |"
            )
    elif "linli_s" not in item:
        # Workloads with their own tables in this README (party, audit, assessment, migrations …).
        out.append(f"| {db} | {scale} | {workload} | see its section below ({item['file']}) | | | |")
    else:
        rss = f", peak RSS {item['peak_rss_mb']} MB" if "peak_rss_mb" in item else ""
        note = f"{item['rows_per_s']:,} rows/s{rss}" if "rows_per_s" in item else ""
        limit = f"{item['limit_s']} s ({item['limit']})" if item.get("limit_s") else "not run"
        ratio = f"{item['ratio']}×" if item.get("ratio") else ""
        out.append(
            f"| {db} | {scale} ({item['rows']:,}) | {workload} | {item['linli_s']} s | {limit} | {ratio} | {note} |"
        )
    return out


def main(argv: list[str]) -> int:
    table = "\n".join(rows([Path(a) for a in argv]))
    text = README.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    README.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
