"""The bottleneck experiment's report: markdown tables and accuracy-vs-length plots."""

import os

from keras_attn import viz

NOTES_MARKER = "<!-- notes: kept when the tables are rewritten -->"


def write_bottleneck_report(rows, directory, settings=None):
    """Writes `bottleneck.md` (tables) and one PNG per task and metric into `directory`.

    The discussion of a previous `bottleneck.md`, everything from its `NOTES_MARKER`
    line on, is kept below the new tables.

    Args:
        rows: the rows of `bottleneck_experiment`.
        directory: where the report goes (created if needed).
        settings: a dict recorded on the report's first line.

    Returns:
        The paths written, the markdown file first.
    """
    os.makedirs(directory, exist_ok=True)
    paths = []
    lines = ["# The bottleneck experiment", ""]
    if settings:
        lines += ["Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()), ""]
    for task in dict.fromkeys(row["task"] for row in rows):
        task_rows = [row for row in rows if row["task"] == task]
        lines += [f"## {task}", ""] + _summary_table(task_rows)
        for metric, fmt in (("exact_match", "{:.3f}"), ("bleu", "{:.1f}")):
            path = os.path.join(directory, f"bottleneck_{task.replace('-', '_')}_{metric}.png")
            unit = "source length" if task == "reverse" else "Korean words"
            lines += [f"{metric.replace('_', ' ')} by {unit}:", ""] + _metric_table(task_rows, metric, fmt)
            viz.accuracy_vs_length_plot(task_rows, path=path, metric=metric,
                                        title=f"{task}: {metric.replace('_', ' ')} vs {unit}")
            lines += [f"![{task} {metric}]({os.path.basename(path)})", ""]
            paths.append(path)
    report = os.path.join(directory, "bottleneck.md")
    lines += _kept_notes(report)
    with open(report, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    return [report, *paths]


def _summary_table(task_rows):
    """One row per model: parameters, training seconds, AER."""
    lines = ["| model | parameters | train s | AER |", "| --- | --- | --- | --- |"]
    for name in dict.fromkeys(row["model"] for row in task_rows):
        row = next(row for row in task_rows if row["model"] == name)
        aer = "—" if row["aer"] is None else f"{row['aer']:.3f}"
        lines.append(f"| {name} | {row['parameters']:,} | {row['train_seconds']} | {aer} |")
    return lines + [""]


def _metric_table(task_rows, metric, fmt):
    """One row per model, one column per length group."""
    groups = list(dict.fromkeys(row["group"] for row in task_rows))
    lines = ["| model | " + " | ".join(groups) + " |", "| --- " * (len(groups) + 1) + "|"]
    for name in dict.fromkeys(row["model"] for row in task_rows):
        values = {row["group"]: row[metric] for row in task_rows if row["model"] == name}
        lines.append(f"| {name} | " + " | ".join(fmt.format(values[g]) for g in groups) + " |")
    return lines + [""]


def _kept_notes(report):
    """The hand-written discussion of an existing report, from its marker on."""
    if not os.path.exists(report):
        return []
    with open(report, encoding="utf-8") as file:
        previous = file.read()
    if NOTES_MARKER not in previous:
        return []
    return [previous[previous.index(NOTES_MARKER):].rstrip("\n")]
