"""report.md: the same tables and figures as the HTML page, as GitHub-flavoured Markdown."""

from __future__ import annotations

from sweepstat.report._content import ReportContent
from sweepstat.report._figures import Figure
from sweepstat.report._views import Cell, TableView, Views


def _cell(cell: Cell) -> str:
    text = cell.text.replace("|", "\\|").replace("\n", " ")
    return f"**{text}**" if cell.strong and text else text


def render_table(view: TableView, heading: str = "##") -> str:
    out = [f"{heading} {view.title}", ""]
    if view.caption:
        out += [view.caption, ""]
    out.append("| " + " | ".join(h.replace("|", "\\|") for h in view.header) + " |")
    out.append("| " + " | ".join("---:" if n else "---" for n in view.numeric) + " |")
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in view.rows]
    return "\n".join(out) + "\n"


def render_markdown(content: ReportContent, views: Views, figures: tuple[Figure, ...]) -> str:
    parts = [f"# Report: {content.meta.study_name}\n", render_table(views.summary)]
    if content.notes:
        parts.append("## Statements\n\n" + "\n".join(f"- {n}" for n in content.notes) + "\n")
    if views.verdict:
        parts.append("## Verdict\n\n" + "\n".join(f"- {n}" for n in views.verdict) + "\n")
    parts.append(render_table(views.best))
    parts += [render_table(v) for v in views.results]
    parts += [render_table(v) for v in views.statistics]
    if figures:
        parts.append("## Figures\n")
        for f in figures:
            parts.append(
                f"### {f.title}\n\n![{f.title}](figures/{f.name}.png)\n\n{f.caption} "
                f"([PNG](figures/{f.name}.png), [SVG](figures/{f.name}.svg))\n"
            )
    if content.meta.spec_text:
        spec = content.meta.spec_text.rstrip("\n")
        fence = "~~~~" if "```" in spec else "```"
        parts.append(f"## Appendix A. Study file\n\n{fence}yaml\n{spec}\n{fence}\n")
    if views.lost is not None:
        parts.append(render_table(views.lost))
    if views.versions is not None:
        parts.append(render_table(views.versions))
    return "\n".join(parts)
