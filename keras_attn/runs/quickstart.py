"""`quickstart`: a Bahdanau seq2seq and a Transformer trained, scored, drawn and exported.

The two trainings run side by side, one process and one thread each (on two cores
that beats one after the other with two threads each), and each stops as soon as
its held-out token accuracy reaches `QUICKSTART_TARGET_ACCURACY`: past it the models
already translate the held-out sentences at BLEU > 90. Each phase prints one line.
"""

import os
import time

import keras

from keras_attn import distribute
from keras_attn import export
from keras_attn.runs.evaluator import evaluate
from keras_attn.runs.explorer import explore
from keras_attn.runs.trainer import train
from keras_attn.runs.translation import plot_attention

QUICKSTART_MODELS = {
    # name: (preset, train() arguments). The epochs are a cap: training stops at the target.
    # Sized for the shortest time to the target on 2 cores (docs/performance.md): one
    # Transformer layer reaches it in 4 quick epochs where two layers need 3 slow ones;
    # the Bahdanau model gets there on 8,000 pairs in 4 epochs, 15 s before 12,000 in 3.
    "ko_en_bahdanau": ("tiny_bahdanau", dict(train_size=8_000, epochs=6, units=128, embedding_dim=64)),
    "ko_en_transformer": ("tiny_transformer", dict(train_size=12_000, epochs=6, learning_rate=2e-3, dropout=0.0,
                                                   norm_first=True, num_layers=1)),
}
# Held-out token accuracy (`val_masked_accuracy`) at which a quickstart training stops.
QUICKSTART_TARGET_ACCURACY = 0.975
# `quickstart(smoke=True)`: the same steps on a toy budget, to check the plumbing.
QUICKSTART_SMOKE = dict(train_size=300, validation_size=50, epochs=1)
QUICKSTART_SAMPLES = ("나는 밥을 먹었다", "그녀는 말을 탔어", "소년이 편지를 읽었고 공항에 빨리 걸어간다")


def quickstart(output_dir="runs/quickstart", saved_models_dir="saved_models", models_to_train=None, smoke=False,
               verbose=1, print_fn=print, processes=None):
    """Trains a Bahdanau seq2seq and a Transformer on ko-en, reports, plots and exports them.

    For each model: trains it (`train`, stopping at `QUICKSTART_TARGET_ACCURACY`),
    prints its BLEU / exact match / AER on 500 held-out sentences and sample
    translations, writes the attention heatmap of "나는 밥을 먹었다" and the attention
    explorer page of the samples, and exports a SavedModel to
    `saved_models_dir/<name>/<version>`. `smoke=True` trains on `QUICKSTART_SMOKE`'s
    toy budget (for tests).

    Args:
        processes: trainings at once, each in its own process with its share of the
            cores (default: one per model, up to the number of cores); 1 trains in
            this process, one model after the other.
        verbose: 0 prints only the phase lines; 1 also Keras' progress bars when
            training in this process.

    Returns:
        `{name: {"run_dir", "saved_model", "heatmap", "explorer", "scores", "samples", "seconds"}}`.
    """
    names = list(models_to_train or QUICKSTART_MODELS)
    if processes is None:
        processes = min(len(names), os.cpu_count() or 1)
    print_fn(f"Training {', '.join(names)} on ko-en" + (f", {processes} at once" if processes > 1 else "")
             + f"; each stops at held-out token accuracy {QUICKSTART_TARGET_ACCURACY}.")
    jobs = [(name, output_dir, saved_models_dir, smoke, verbose if processes == 1 else 0) for name in names]
    finished = distribute.map_in_processes(quickstart_model, jobs, processes)
    results = {job[0]: finished[job] for job in jobs}  # in the models' order
    for name in names:
        report_model(name, results[name], print_fn)
    report_outputs(results, print_fn)
    return results


class StopAtAccuracy(keras.callbacks.Callback):
    """Stops `fit` at the end of the epoch whose `monitor` reaches `target`, and prints
    one line per epoch: the accuracy and at most how long the rest takes."""

    def __init__(self, name, target, epochs, monitor="val_masked_accuracy"):
        super().__init__()
        self.name, self.target, self.epochs, self.monitor = name, target, epochs, monitor
        self.started = None

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        elapsed = time.perf_counter() - self.started
        reached = value is not None and value >= self.target
        left = 0 if reached or epoch + 1 >= self.epochs else elapsed / (epoch + 1) * (self.epochs - epoch - 1)
        shown = "n/a" if value is None else f"{value:.3f}"
        print(f"[{self.name}] epoch {epoch + 1}/{self.epochs}: held-out accuracy {shown} (target {self.target})"
              + ("; reached, training stops" if reached else f"; at most {left:.0f} s of training left"),
              flush=True)
        if reached:
            self.model.stop_training = True


def quickstart_model(name, output_dir, saved_models_dir, smoke=False, verbose=1):
    """Trains, scores, draws and exports one of `QUICKSTART_MODELS`; returns its result dict."""
    preset, arguments = QUICKSTART_MODELS[name]
    if smoke:
        arguments = {**arguments, **QUICKSTART_SMOKE}
    run_dir = os.path.join(output_dir, name)
    start = time.perf_counter()
    say = lambda line: print(f"[{name}] {line} ({time.perf_counter() - start:.0f} s)", flush=True)
    say(f"training {preset} on {arguments['train_size']} pairs, at most {arguments['epochs']} epochs")
    stop = StopAtAccuracy(name, QUICKSTART_TARGET_ACCURACY, arguments["epochs"])
    translator = train(run_dir, preset=preset, verbose=verbose, overwrite=True, callbacks=[stop], **arguments)
    say("trained; scoring 500 held-out sentences" if not smoke else "trained; scoring")
    # One translator for every step, so its decoding is traced once.
    scores = evaluate(run_dir, size=50 if smoke else 500, translator=translator)
    heatmap = os.path.join(run_dir, "attention_나는_밥을_먹었다.png")
    plot_attention(translator, QUICKSTART_SAMPLES[0], heatmap)
    explorer_page = os.path.join(run_dir, "explorer.html")
    explored = explore(translator, list(QUICKSTART_SAMPLES), explorer_page, title=f"{name}: attention explorer")
    samples = {item.source: item.translation for item in explored}  # the page's translations, not decoded again
    say(f"BLEU {scores['bleu']}; heatmap and explorer page written; exporting the SavedModel")
    saved_model = export.export(translator, saved_models_dir, name)
    say(f"done: {saved_model}")
    return dict(run_dir=run_dir, saved_model=saved_model, heatmap=heatmap, explorer=explorer_page, scores=scores,
                samples=samples, seconds=round(time.perf_counter() - start, 1))


def report_model(name, result, print_fn=print):
    """One line of scores and the sample translations of a quickstart model."""
    print_fn(f"{name}: " + ", ".join(f"{k} {v}" for k, v in result["scores"].items()) + f" ({result['seconds']} s)")
    for source, translation in result["samples"].items():
        print_fn(f"  {source}  →  {translation}")


def report_outputs(results, print_fn=print):
    """Where everything went, and how to serve the SavedModels."""
    print_fn("\nWritten:")
    for name, result in results.items():
        print_fn(f"  {name}: run {result['run_dir']}, heatmap {result['heatmap']}, SavedModel {result['saved_model']}")
        print_fn(f"    attention explorer (open it in a browser): {result['explorer']}")
    print_fn("\nServe them with TensorFlow Serving (see docs/serving.md):")
    for name, result in results.items():
        print_fn("  " + serving_command(os.path.dirname(result["saved_model"]), name))


def serving_command(model_base_path, name):
    """The `docker run tensorflow/serving` command that serves `model_base_path` as `name`."""
    return (f"docker run --rm -p 8501:8501 -p 8500:8500 --mount type=bind,source={os.path.abspath(model_base_path)},"
            f"target=/models/{name} -e MODEL_NAME={name} tensorflow/serving:latest")
