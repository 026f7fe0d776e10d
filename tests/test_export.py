"""Tests of keras_attn.export: the SavedModel, its signature, ops, layout and atomicity.

Every exported family is checked in ONE fresh Python process that imports only
tensorflow and tensorflow_text (tests/testing/translators.py): it lists the graph's ops
and runs the signature through the TF1 loader, as TF Serving would.

Marker `fault`: exports that fail (unwritable folder, disk full) leave nothing behind,
and a loaded SavedModel called from many threads with odd inputs gives the
single-threaded answers, without errors or leaks.
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from keras_attn import export as export_lib
from tests.testing import answers
from tests.testing import available_families
from tests.testing import hammer
from tests.testing import LOAD_TEXTS
from tests.testing import rss_bytes
from tests.testing import run_cli
from tests.testing import run_fresh_process
from tests.testing import save_untrained_run
from tests.testing import trained_copy_translator
from tests.testing import transformer_builder
from tests.testing import untrained_translator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NORMAL = ["나는 밥을 먹었다", "그녀는 말을 탔어", "오늘 음악이 쉬울 거야 !"]
BAD_BATCHES = {
    "normal": NORMAL,
    "odd": [
        "",
        "   \t\n  ",
        "오늘 " * 3333 + "!",  # 10,000 characters of a known word
        b"\xff\xfe\xc3( \xe2\x82",  # invalid UTF-8
        "😀 🚀 𓀀𓀁 ꦲꦤ ትግርኛ",  # emoji, hieroglyphs, Javanese, Ethiopic
        "x" * 10000,  # one 10,000-character word
        "나는",
    ],
    "batch_of_64": [" ".join(["밥을", "나는", "먹었다", "말을"][: 1 + i % 4] * (1 + i % 7)) for i in range(64)],
    "only_empty": ["", "", ""],
}
FORBIDDEN_OPS = {"PyFunc", "PyFuncStateless", "EagerPyFunc"}
TEXT_OPS_EXPECTED = {"NormalizeUTF8", "WordpieceTokenizeWithOffsets"}


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """Each available family (untrained) and the trained copy model, exported once."""
    base = tmp_path_factory.mktemp("saved_models")
    translators = {family: untrained_translator(family) for family in available_families()}
    translators["trained_copy"] = trained_copy_translator()
    paths = {name: export_lib.export(translator, base, name) for name, translator in translators.items()}
    return {"base": base, "translators": translators, "paths": paths}


@pytest.fixture(scope="module")
def fresh(exports, tmp_path_factory):
    """The fresh-process results for every export, plus a py_function control model."""
    control = str(tmp_path_factory.mktemp("control") / "py_function")

    class WithPyFunction(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def serve(self, text):
            return {"out": tf.py_function(lambda t: t, [text], tf.string)}

    module = WithPyFunction()
    tf.saved_model.save(module, control, signatures={"serving_default": module.serve})
    batches = list(BAD_BATCHES.values()) + [["1 2 3", "4 0 9 9", "", "7 7"]]
    result = run_fresh_process(
        list(exports["paths"].values()), batches, str(tmp_path_factory.mktemp("fresh")), list_only=[control]
    )
    return {"result": result, "batches": batches, "control": control}


def test_transformer_family_is_covered():
    if transformer_builder() is None:
        pytest.skip("keras_attn.models.transformer does not exist in this checkout yet")
    assert "transformer" in available_families()


def test_fresh_tf1_loader_gives_the_same_translations(exports, fresh):
    for name, path in exports["paths"].items():
        translator = exports["translators"][name]
        runs = fresh["result"]["outputs"][path]
        for batch, outputs in zip(fresh["batches"], runs):
            expected = translator.run(batch)
            got = outputs["translation"]["value"]
            assert got == [t.decode("utf-8") for t in expected["translation"]], (name, batch)
            for key in ("source_tokens", "target_tokens"):
                assert outputs[key]["value"] == [[t.decode("utf-8") for t in row] for row in expected[key]]
            for key in ("scores", "attention"):
                assert outputs[key]["shape"] == list(expected[key].shape), (name, key)
                np.testing.assert_allclose(np.array(outputs[key]["value"], np.float32).reshape(expected[key].shape),
                                           expected[key], rtol=1e-4, atol=1e-5)


def test_translate_agrees_with_the_export(exports, fresh):
    """`Translator.translate` (the public path) against the fresh process, on the plain batch."""
    for name, path in exports["paths"].items():
        assert fresh["result"]["outputs"][path][0]["translation"]["value"] == \
            exports["translators"][name].translate(NORMAL)


def test_trained_model_serves_real_translations(exports, fresh):
    outputs = fresh["result"]["outputs"][exports["paths"]["trained_copy"]][-1]
    assert outputs["translation"]["value"] == ["1 2 3", "4 0 9 9", "", "7 7"]
    assert outputs["target_tokens"]["value"][0][:4] == ["1", "2", "3", "[END]"]
    assert outputs["source_tokens"]["value"][1][:5] == ["4", "0", "9", "9", "[END]"]


def test_graph_has_only_core_and_text_ops(exports, fresh):
    ops = fresh["result"]["ops"]
    for name, path in exports["paths"].items():
        assert ops[path]["unknown"] == [], name
        assert not FORBIDDEN_OPS & set(ops[path]["core"]), name
        assert set(ops[path]["text"]) <= TEXT_OPS_EXPECTED, name
        assert ops[path]["xla"] == [], name
        assert {"While", "InitializeTableFromTextFileV2", "LookupTableFindV2"} <= set(ops[path]["core"])
    assert "WordpieceTokenizeWithOffsets" in ops[exports["paths"]["bahdanau"]]["text"]
    # The check does catch a Python callback.
    assert "EagerPyFunc" in ops[fresh["control"]]["core"]


def test_signature_matches_the_spec(exports, fresh):
    string, float32 = tf.string.as_datatype_enum, tf.float32.as_datatype_enum
    for path in exports["paths"].values():
        signature = fresh["result"]["signature"][path]
        assert signature["method"] == "tensorflow/serving/predict"
        assert signature["inputs"] == {"text": [string, [-1]]}
        assert signature["outputs"] == {
            "translation": [string, [-1]],
            "scores": [float32, [-1]],
            "source_tokens": [string, [-1, -1]],
            "target_tokens": [string, [-1, -1]],
            "attention": [float32, [-1, -1, -1]],
        }


def test_bad_inputs_give_one_output_per_input(exports, fresh):
    for name, path in exports["paths"].items():
        translator = exports["translators"][name]
        for batch, outputs in zip(fresh["batches"], fresh["result"]["outputs"][path]):
            size = len(batch)
            assert outputs["translation"]["shape"] == [size] and outputs["scores"]["shape"] == [size]
            tt, ts = outputs["target_tokens"]["shape"][1], outputs["source_tokens"]["shape"][1]
            assert outputs["source_tokens"]["shape"][0] == size and outputs["target_tokens"]["shape"][0] == size
            assert outputs["attention"]["shape"] == [size, tt, ts]
            assert ts <= translator.max_source_length and tt <= translator.max_length
            for item, translation, score in zip(batch, outputs["translation"]["value"], outputs["scores"]["value"]):
                if isinstance(item, str) and not item.strip():
                    assert translation == "" and score == 0.0
                assert np.isfinite(score)
    odd = fresh["result"]["outputs"][exports["paths"]["fixed_context"]][1]
    sources = odd["source_tokens"]["value"]
    assert [t for t in sources[2] if t] == ["오늘"] * 11 + ["[END]"]  # truncated to max_source_length=12
    assert sources[5][:2] == ["[UNK]", "[END]"]  # an unknown 10,000-character word
    assert "[UNK]" in sources[3]  # invalid UTF-8 became U+FFFD, an unknown word


def test_layout_metadata_and_warmup(exports):
    path = exports["paths"]["bahdanau"]
    translator = exports["translators"]["bahdanau"]
    assert os.path.basename(path) == "1"
    assert sorted(os.listdir(os.path.dirname(path))) == ["1"]  # no temp folder left behind
    assets = os.path.join(path, "assets")
    assert sorted(os.listdir(assets)) == ["keras_attn.json", "source_vocabulary.txt", "target_vocabulary.txt"]
    with open(os.path.join(assets, "source_vocabulary.txt"), encoding="utf-8") as file:
        assert file.read().split("\n")[:-1] == translator.source_tokenizer.get_vocabulary()
    with open(os.path.join(assets, "keras_attn.json"), encoding="utf-8") as file:
        metadata = json.load(file)
    assert metadata["source_vocabulary_size"] == translator.source_tokenizer.vocabulary_size()
    assert metadata["target_vocabulary_size"] == translator.target_tokenizer.vocabulary_size()
    assert metadata["reserved_ids"] == {"[PAD]": 0, "[START]": 1, "[END]": 2, "[UNK]": 3}
    assert metadata["max_source_length"] == 12 and metadata["max_length"] == 10
    assert metadata["decoding"] == {"strategy": "beam", "beam_size": 3, "length_penalty": 0.6, "max_length": 10}
    assert metadata["model"]["class_name"] == "Seq2Seq" and metadata["model"]["config"]["attention"] == "bahdanau"
    assert metadata["source_tokenizer"]["class_name"] == "SubwordTokenizer"
    assert metadata["library_version"] == keras_attn_version()
    requests = export_lib.read_warmup_requests(os.path.join(path, "assets.extra", "tf_serving_warmup_requests"))
    assert len(requests) == 2
    for request in requests:
        assert request.model_spec.name == "bahdanau" and request.model_spec.signature_name == "serving_default"
        texts = tf.make_ndarray(request.inputs["text"])
        assert texts.dtype == object and texts.ndim == 1 and len(texts) >= 1
    assert [len(tf.make_ndarray(r.inputs["text"])) for r in requests] == [1, 4]


def keras_attn_version():
    import keras_attn

    return keras_attn.__version__


def test_tf2_reload_and_tfsm_layer(exports):
    name = "luong"
    path, translator = exports["paths"][name], exports["translators"][name]
    serving = tf.saved_model.load(path).signatures["serving_default"]
    outputs = serving(text=tf.constant(NORMAL))
    assert [t.decode() for t in outputs["translation"].numpy()] == translator.translate(NORMAL)
    layer = keras.layers.TFSMLayer(path, call_endpoint="serving_default")
    assert [t.decode() for t in layer(tf.constant(NORMAL))["translation"].numpy()] == translator.translate(NORMAL)


def _tree_digest(path):
    digest = hashlib.sha256()
    for folder, _, files in sorted(os.walk(path)):
        for file in sorted(files):
            full = os.path.join(folder, file)
            digest.update(full.encode())
            with open(full, "rb") as handle:
                digest.update(handle.read())
            digest.update(str(os.stat(full).st_mtime_ns).encode())
    return digest.hexdigest()


def test_versions_are_numbered_and_never_overwritten(exports, tmp_path):
    translator = exports["translators"]["fixed_context"]
    first = export_lib.export(translator, tmp_path, "model")
    before = _tree_digest(first)
    phases = []
    second = export_lib.export(translator, tmp_path, "model", progress=phases.append)
    assert [os.path.basename(first), os.path.basename(second)] == ["1", "2"]
    assert [line.split(": ")[0] for line in phases] == ["export model/2"] * 2  # one line per phase, as it starts
    with pytest.raises(FileExistsError, match="version 1 of model 'model' already exists"):
        export_lib.export(translator, tmp_path, "model", version=1)
    assert _tree_digest(first) == before
    assert os.path.basename(export_lib.export(translator, tmp_path, "model", version=7)) == "7"
    assert export_lib.list_versions(tmp_path / "model") == [1, 2, 7]
    assert sorted(os.listdir(tmp_path / "model")) == ["1", "2", "7"]


def test_bad_export_arguments(exports, tmp_path):
    translator = exports["translators"]["fixed_context"]
    for name in ("", "a/b", "123", ".hidden", None):
        with pytest.raises(ValueError, match="`name`"):
            export_lib.export(translator, tmp_path, name)
    for version in (0, -1, "2", 1.5, True):
        with pytest.raises(ValueError, match="`version`"):
            export_lib.export(translator, tmp_path, "ok", version=version)
    with pytest.raises(ValueError, match="keras_attn.Translator"):
        export_lib.export(translator.model, tmp_path, "ok")
    with pytest.raises(ValueError, match="warmup_texts"):
        export_lib.export(translator, tmp_path, "ok", warmup_texts=[[]])
    assert not os.path.exists(tmp_path / "ok") or os.listdir(tmp_path / "ok") == []


def test_stale_temp_dirs_are_removed_but_live_ones_kept(exports, tmp_path):
    model_dir = tmp_path / "model"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = model_dir / f".tmp-export-{dead.pid}-abcdef012345"
    live = model_dir / f".tmp-export-{os.getppid()}-abcdef012345"
    # A user's folder that only starts like a temp folder, and digits that are not ASCII
    # ("٣" reads as 3, "①" crashed int()): none is a temp folder or a version.
    users = [f".tmp-export-{dead.pid}-abcdef012345-mine", "٣", "①"]
    for folder in (stale, live, *(model_dir / name for name in users)):
        (folder / "variables").mkdir(parents=True)
    export_lib.export(exports["translators"]["fixed_context"], tmp_path, "model")
    assert sorted(os.listdir(model_dir)) == sorted(["1", live.name, *users])
    assert export_lib.list_versions(model_dir) == [1]


KILLED_EXPORTER = r"""
import sys
sys.path.insert(0, sys.argv[1])
from tests.testing import untrained_translator
from keras_attn import export
translator = untrained_translator("fixed_context")
print("exporting", flush=True)
export.export(translator, sys.argv[2], "model")
print("finished", flush=True)
"""


def test_killed_exporter_leaves_no_version_behind(exports, tmp_path):
    translator = exports["translators"]["fixed_context"]
    model_dir = tmp_path / "model"
    first = export_lib.export(translator, tmp_path, "model")
    before = _tree_digest(first)
    process = subprocess.Popen([sys.executable, "-c", KILLED_EXPORTER, ROOT, str(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        temp = []
        while not temp and time.monotonic() < deadline and process.poll() is None:
            temp = [e for e in os.listdir(model_dir) if e.startswith(".tmp-export-")]
            time.sleep(0.005)
        assert temp, "the exporter never created its temp folder"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert export_lib.list_versions(model_dir) == [1]  # nothing half-written under a number
    assert _tree_digest(first) == before
    assert any(e.startswith(".tmp-export-") for e in os.listdir(model_dir))
    # The next export removes the dead exporter's folder and takes the next version.
    second = export_lib.export(translator, tmp_path, "model")
    assert sorted(os.listdir(model_dir)) == ["1", "2"] and second.endswith("2")


def test_write_model_config(tmp_path):
    path = tmp_path / "configs" / "models.config"
    text = export_lib.write_model_config(path, {"ko_en": "/models/ko_en", "copy": "/models/copy"})
    with open(path, encoding="utf-8") as file:
        assert file.read() == text
    config = text_format.Parse(text, model_server_config_pb2.ModelServerConfig())
    entries = [(c.name, c.base_path, c.model_platform) for c in config.model_config_list.config]
    assert entries == [("ko_en", "/models/ko_en", "tensorflow"), ("copy", "/models/copy", "tensorflow")]
    assert 'name: "ko_en"' in text and "model_config_list {" in text
    with pytest.raises(ValueError, match="empty"):
        export_lib.write_model_config(path, {})
    with pytest.raises(ValueError, match="twice"):
        export_lib.write_model_config(path, [("a", "/a"), ("a", "/b")])
    with pytest.raises(ValueError, match="string pairs"):
        export_lib.write_model_config(path, [("a",)])


# Failures: nothing half-written is left ---------------------------------------------


@pytest.mark.fault
def test_failed_exports_are_clear_errors_and_leave_nothing(tmp_path, capsys, monkeypatch):
    run_dir = save_untrained_run(tmp_path)
    monkeypatch.delenv("KERAS_ATTN_DEBUG", raising=False)
    code, _, err = run_cli(capsys, "export", run_dir, "--name", "m", "--base-dir", "/proc/keras_attn_models")
    assert code == 2 and "/proc/keras_attn_models" in err and len(err.strip().splitlines()) == 1

    # A failure in the middle of writing the SavedModel (disk full): no version folder,
    # no temporary folder left behind, one error line on stderr (after the phases' progress lines).
    base = tmp_path / "saved_models"
    write = export_lib.write_saved_model

    def disk_full_at_the_end(translator, path, *args):
        write(translator, path, *args)  # a complete SavedModel in the temp folder...
        raise OSError(28, "No space left on device")  # ...then the last write fails

    monkeypatch.setattr(export_lib, "write_saved_model", disk_full_at_the_end)
    code, _, err = run_cli(capsys, "export", run_dir, "--name", "m", "--base-dir", str(base))
    errors = [line for line in err.strip().splitlines() if not line.startswith("export m/1: ")]
    assert code == 2 and errors == ["keras-attn export: error: [Errno 28] No space left on device"]
    assert "Traceback" not in err and os.listdir(base / "m") == []


# Concurrent requests: many threads calling one loaded SavedModel, in-process -----------
#
# A tiny translator of each decoding kind (greedy fixed-context, beam-search Transformer)
# is exported once; the test loads the SavedModel, records single-threaded answers for a
# set of inputs, then lets several threads call `serving_default` on random batches of
# those inputs for a bounded time. Every concurrent answer must equal the single-threaded
# one, no call may fail, and RSS may not keep growing (a leak per request would show
# after thousands of calls). benchmarks/serving_soak.py runs the same loop longer.

THREADS = 4
SECONDS = float(os.environ.get("KERAS_ATTN_LOAD_SECONDS", 5))


@pytest.fixture(scope="module", params=["fixed_context", "transformer"])
def serving(request, tmp_path_factory):
    family = request.param
    if family not in available_families():
        pytest.skip(f"{family} is not in this checkout")
    base = str(tmp_path_factory.mktemp("load"))
    path = export_lib.export(untrained_translator(family), base, family)
    return family, tf.saved_model.load(path).signatures["serving_default"]


@pytest.mark.fault
def test_concurrent_requests_match_single_threaded_answers_without_errors_or_leaks(serving):
    family, serve = serving
    expected = {text: answers(serve(text=tf.constant([text]))) for text in LOAD_TEXTS}
    # The batched single-threaded answer agrees with the batch-of-one answers: the
    # row-by-row comparison under load is then a fair one.
    together = answers(serve(text=tf.constant(LOAD_TEXTS)))
    assert list(together["translation"]) == [expected[t]["translation"][0] for t in LOAD_TEXTS]
    hammer(serve, expected, threads=2, seconds=1)  # warm-up: graphs traced, pools grown
    before = rss_bytes()
    figures = hammer(serve, expected, THREADS, SECONDS)
    after = rss_bytes()
    print(f"\n{family}: {figures['requests']} requests from {THREADS} threads in {SECONDS:.0f} s, "
          f"{len(figures['errors'])} errors, {len(figures['mismatches'])} mismatches, "
          f"RSS {before / 2**20:.0f} → {after / 2**20:.0f} MiB")
    assert figures["errors"] == [] and figures["mismatches"] == []
    assert figures["requests"] >= THREADS * 5, figures["requests"]
    # A leak of even 1 KiB per request would pass unnoticed at this scale, but a
    # per-request tensor or graph leak (≥ 100 KiB each) would exceed 64 MiB.
    assert after - before < 64 * 2**20, (before, after)
