"""Peak memory of `keras-attn translate --input` on a SavedModel: 1,000 lines against 100,000.

The input is translated in batches (`keras_attn.translator.TRANSLATE_BATCH`), so the peak
should not grow with the number of lines (issue 19: one batch of 100,000 lines took
2.1 GB). Exports a small untrained seq2seq, writes the inputs, runs the command in a
fresh process for each size, which reports its own peak RSS (VmHWM). Appends a row to
benchmarks/results/translate_memory.md.

    python -m benchmarks.translate_memory [--lines 1000 100000] [--smoke]
"""

import argparse
import subprocess
import sys
import tempfile
import time

from benchmarks import common

RESULTS = common.RESULTS_DIR / "translate_memory.md"
HEADER = ["lines", "peak RSS MiB", "seconds", "machine"]
PREAMBLE = ["# Peak RSS of `keras-attn translate --input` on a SavedModel (benchmarks/translate_memory.py)", ""]
# Runs the command line in this fresh process, then prints the process' own peak RSS.
CHILD = """
import sys
from benchmarks import common
from keras_attn import cli
code = cli.main(sys.argv[1:])
print(f"VmHWM {common.proc_status_mib('VmHWM'):.1f}", flush=True)
sys.exit(code)
"""


def export_model(folder):
    """A small untrained ko-en seq2seq translator (greedy, at most 8 tokens), exported."""
    import keras

    from keras_attn import data
    from keras_attn import export
    from keras_attn import models
    from keras_attn.translator import Translator

    pairs = [(e.source, e.target) for e in data.generate("ko-en", "train", size=500, seed=0)]
    source = data.WordTokenizer.from_corpus([s for s, _ in pairs])
    target = data.WordTokenizer.from_corpus([t for _, t in pairs])
    keras.utils.set_random_seed(0)
    model = models.seq2seq(source.vocabulary_size(), target.vocabulary_size(), cell="gru", attention="bahdanau",
                           embedding_dim=16, units=16)
    translator = Translator(model, source, target, max_length=8)
    return export.export(translator, folder, "memory"), [s for s, _ in pairs]


def measure(saved_model, sentences, lines, folder):
    """`(peak RSS MiB, seconds)` of translating `lines` lines (the sentences, repeated)."""
    inputs = f"{folder}/in_{lines}.txt"
    with open(inputs, "w", encoding="utf-8") as file:
        file.writelines(f"{sentences[i % len(sentences)]}\n" for i in range(lines))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, "translate", saved_model, "--input", inputs, "--output",
                           f"{folder}/out_{lines}.txt"], capture_output=True, text=True, cwd=common.REPO_ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"translate failed ({done.returncode}):\n{done.stderr[-3000:]}")
    peak = float(done.stdout.split("VmHWM ")[-1].split()[0])
    return peak, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--smoke", action="store_true", help="100 and 300 lines, nothing written")
    args = parser.parse_args(argv)
    sizes = [100, 300] if args.smoke else args.lines
    with tempfile.TemporaryDirectory() as folder:
        saved_model, sentences = export_model(folder)
        rows = [(lines, *measure(saved_model, sentences, lines, folder)) for lines in sizes]
    machine = common.describe_machine()
    for lines, peak, seconds in rows:
        print(f"{lines} lines: peak RSS {peak:.0f} MiB, {seconds:.1f} s")
        if not args.smoke:
            common.append_table_row(RESULTS, [lines, f"{peak:.0f}", f"{seconds:.1f}", machine], HEADER, PREAMBLE)
    return rows


if __name__ == "__main__":
    main()
