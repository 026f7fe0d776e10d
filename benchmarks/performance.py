"""keras_attn against what a user would pick instead: speed, FLOP/s and memory.

Sections (each contestant runs in this process, interleaved with its peers, and
the median of the repeats is reported); each is also a module of its own:

  layers    (layer_speed)      forward+backward time of our attention layers vs
            Keras' and keras-hub's at sequence lengths 64..1024
  flops     (attention_flops)  achieved GFLOP/s of scaled dot-product attention vs a
            plain matmul of the same size, and where the forward time goes
  training  (training_speed)   target tokens/s of our Transformer vs a same-size model
            built from keras-hub's TransformerEncoder/Decoder; with and without XLA,
            float32 and mixed_bfloat16
  decoding  (decoding_speed)   greedy and beam search, with and without the KV cache
  memory    (layer_memory)     peak RSS of one forward+backward vs sequence length (a
            fresh process per point, since peak RSS only grows)

Measured sections are merged into benchmarks/results/performance.json, from which
performance.md and performance.png are rewritten whole.

    python -m benchmarks.performance                       # everything (about 20 min on 2 cores)
    python -m benchmarks.performance --sections layers     # one section, merged into the results
    python -m benchmarks.layer_speed                       # the same
    python -m benchmarks.performance --smoke               # seconds, to check the plumbing
"""

import argparse
import json

from benchmarks import attention_flops
from benchmarks import common
from benchmarks import decoding_speed
from benchmarks import layer_memory
from benchmarks import layer_speed
from benchmarks import training_speed

RESULTS_DIR = common.RESULTS_DIR
RAW_RESULTS = RESULTS_DIR / "performance.json"
# Report order; the keys are the section names stored in performance.json.
MODULES = {module.NAME: module for module in (layer_speed, attention_flops, training_speed, decoding_speed,
                                              layer_memory)}
SECTIONS = tuple(MODULES)
LENGTHS = (64, 128, 256, 512, 1024)
SMOKE_LENGTHS, SMOKE_REPEATS = [16, 32], 2


def write_report(results, markdown_path, png_path):
    lines = [
        "# Performance: keras_attn vs Keras and keras-hub (benchmarks/performance.py)",
        "",
        f"{results['machine']}. Every contestant runs in one process, interleaved with its peers; medians of the "
        "repeats after a warm-up. Times are `tf.function` graphs without XLA unless a column says otherwise.",
        "",
    ]
    for name, module in MODULES.items():
        if name in results:
            lines += module.report_lines(results)
    common.write_markdown(markdown_path, lines)
    plot(results, png_path)


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [module for name, module in MODULES.items() if name in results and hasattr(module, "plot")]
    if not panels:
        return
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for axis, module in zip(axes[0], panels):
        module.plot(axis, results)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def parse_args(argv, sections, description):
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    if len(sections) > 1:
        parser.add_argument("--sections", nargs="+", default=list(sections), choices=sections)
    if any(MODULES[name].USES_LENGTHS for name in sections):
        parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS))
    if sections != ["memory"]:  # one forward+backward per point: nothing to repeat
        parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--smoke", action="store_true", help="tiny settings, nothing written")
    if "memory" in sections:  # the child side of layer_memory.run_memory, not for users
        parser.add_argument("--memory-probe", nargs=2, metavar=("LAYER", "LENGTH"), help=argparse.SUPPRESS)
    parser.set_defaults(sections=list(sections), lengths=list(LENGTHS), repeats=15, memory_probe=None)
    args = parser.parse_args(argv)
    if args.smoke:
        args.lengths, args.repeats = SMOKE_LENGTHS, SMOKE_REPEATS
    return args


def main(argv=None, sections=SECTIONS, description=__doc__):
    """Measures `--sections` (of `sections`), merges them into performance.json and rewrites the report.

    Returns the results dict (only the measured sections with --smoke, which writes nothing).
    """
    args = parse_args(argv, list(sections), description)
    if args.memory_probe:
        # One measurement in this fresh process, printed last for the parent to read.
        print(layer_memory.measure_peak_memory(args.memory_probe[0], int(args.memory_probe[1])))
        return None

    results = json.loads(RAW_RESULTS.read_text()) if RAW_RESULTS.exists() and not args.smoke else {}
    results["machine"] = common.describe_machine()
    for name in SECTIONS:  # in report order, whatever order --sections named them in
        if name in args.sections:
            results.update(MODULES[name].run(args))
    if args.smoke:
        return results
    RAW_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RAW_RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    write_report(results, RESULTS_DIR / "performance.md", RESULTS_DIR / "performance.png")
    print((RESULTS_DIR / "performance.md").read_text())
    return results


if __name__ == "__main__":
    main()
