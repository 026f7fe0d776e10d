"""`quickstart`: a Bahdanau seq2seq and a Transformer trained, scored, drawn and exported."""

import os
import time

from keras_attn import export
from keras_attn.runs.evaluator import evaluate
from keras_attn.runs.explorer import explore
from keras_attn.runs.trainer import train
from keras_attn.runs.translation import plot_attention

QUICKSTART_MODELS = {
    # name: (preset, train() arguments). Sized to finish together in < 5 min on 2 cores.
    "ko_en_bahdanau": ("tiny_bahdanau", dict(train_size=12_000, epochs=4, units=128, embedding_dim=64)),
    "ko_en_transformer": ("tiny_transformer", dict(train_size=12_000, epochs=6, learning_rate=1e-3, dropout=0.0)),
}
# `quickstart(smoke=True)`: the same steps on a toy budget, to check the plumbing.
QUICKSTART_SMOKE = dict(train_size=300, validation_size=50, epochs=1)
QUICKSTART_SAMPLES = ("나는 밥을 먹었다", "그녀는 말을 탔어", "소년이 편지를 읽었고 공항에 빨리 걸어간다")


def quickstart(output_dir="runs/quickstart", saved_models_dir="saved_models", models_to_train=None, smoke=False,
               verbose=1, print_fn=print):
    """Trains a Bahdanau seq2seq and a Transformer on ko-en, reports, plots and exports them.

    For each model: trains it (`train`), prints its BLEU / exact match / AER on
    500 held-out sentences and sample translations, writes the attention heatmap
    of "나는 밥을 먹었다" and the attention explorer page of the samples, and exports a SavedModel to `saved_models_dir/<name>/<version>`.
    `smoke=True` trains on `QUICKSTART_SMOKE`'s toy budget (for tests).

    Returns:
        `{name: {"run_dir", "saved_model", "heatmap", "explorer", "scores", "samples", "seconds"}}`.
    """
    results = {}
    for name in models_to_train or QUICKSTART_MODELS:
        print_fn(f"\n== {name}: training {QUICKSTART_MODELS[name][0]} on ko-en ==")
        results[name] = quickstart_model(name, output_dir, saved_models_dir, smoke, verbose)
        report_model(name, results[name], print_fn)
    report_outputs(results, print_fn)
    return results


def quickstart_model(name, output_dir, saved_models_dir, smoke=False, verbose=1):
    """Trains, scores, draws and exports one of `QUICKSTART_MODELS`; returns its result dict."""
    preset, arguments = QUICKSTART_MODELS[name]
    if smoke:
        arguments = {**arguments, **QUICKSTART_SMOKE}
    run_dir = os.path.join(output_dir, name)
    start = time.perf_counter()
    translator = train(run_dir, preset=preset, verbose=verbose, overwrite=True, **arguments)
    scores = evaluate(run_dir, size=50 if smoke else 500)
    samples = dict(zip(QUICKSTART_SAMPLES, translator.translate(list(QUICKSTART_SAMPLES))))
    heatmap = os.path.join(run_dir, "attention_나는_밥을_먹었다.png")
    plot_attention(run_dir, QUICKSTART_SAMPLES[0], heatmap)
    explorer_page = os.path.join(run_dir, "explorer.html")
    explore(run_dir, list(QUICKSTART_SAMPLES), explorer_page, title=f"{name}: attention explorer")
    saved_model = export.export(translator, saved_models_dir, name)
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
