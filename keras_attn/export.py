"""SavedModel export of a `Translator` for TensorFlow Serving.

`export(translator, base_dir, name)` writes `base_dir/name/<version>/`:

    saved_model.pb, variables/      the graph: text in, text out (see below)
    assets/source_vocabulary.txt    vocabularies read by the in-graph tokenizers
    assets/target_vocabulary.txt
    assets/keras_attn.json          vocab sizes, reserved ids, max lengths, decoding
                                    settings, model config, library version
    assets.extra/tf_serving_warmup_requests   PredictionLog records TF Serving replays
                                    before it marks the version available

The `serving_default` signature takes `text` (tf.string `[None]`) and returns
`translation`, `scores`, `source_tokens`, `target_tokens` and `attention`
(`Translator.serving_fn` documents them). Normalisation, tokenization, encoding,
the decoding loop and detokenization all run inside the graph, which holds only
core TensorFlow and TensorFlow Text ops (no Python callbacks, no XLA), so it loads
in `tensorflow_model_server` and with the TF1 loader. Sources longer than the
translator's `max_source_length` (in tokens, "[END]" included) are truncated.

Versions appear atomically: the SavedModel is written into a temporary,
non-numeric folder of `base_dir/name` (TF Serving ignores those) and renamed to its
integer version only once complete. An existing version is never touched, and temp
folders left by a killed exporter are removed by the next export.
"""

import datetime
import json
import os
import re
import shutil
import uuid

import keras
import tensorflow as tf

from keras_attn import translator as translator_lib
from keras_attn.tokenizers import vocabulary as vocab_lib
from keras_attn.version import __version__

SIGNATURE_NAME = "serving_default"
INPUT_NAME = "text"
METADATA_FILE = "keras_attn.json"
WARMUP_FILE = "tf_serving_warmup_requests"
METADATA_FORMAT_VERSION = 1
# Temp folders are named `.tmp-export-<pid>-<random>`: non-numeric, so TF Serving
# never loads them, and the pid tells whether their writer is still alive.
_TEMP_PREFIX = ".tmp-export-"
# ASCII only: `\d` and `str.isdigit` also take "٣" (as 3) and "①" (which `int` rejects).
_TEMP_PATTERN = re.compile(re.escape(_TEMP_PREFIX) + r"([0-9]+)-[0-9a-f]{12}", re.ASCII)
_VERSION_PATTERN = re.compile(r"[0-9]+", re.ASCII)
_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_DEFAULT_WARMUP_BATCHES = 2


def export(translator, base_dir, name, version=None, warmup_texts=None, progress=None):
    """Writes `translator` as version `version` of model `name` under `base_dir`.

    Args:
        translator: a `keras_attn.Translator`; its decoding settings (strategy,
            beam size, length penalty, max lengths) are fixed in the export.
        base_dir: the model base folder, e.g. "saved_models"; the model goes to
            `base_dir/name/<version>/`.
        name: the model name TF Serving will serve it under (letters, digits,
            ".", "_", "-").
        version: a positive int; `None` takes one more than the highest existing
            version (1 for the first).
        warmup_texts: the requests written to
            `assets.extra/tf_serving_warmup_requests`, a list of batches (lists of
            str); by default two batches built from the source vocabulary.
        progress: called with a line as each phase starts (tracing the graph
            takes most of the time), e.g. `print`; `None` for silence.

    Returns:
        The path of the new version folder.

    Raises:
        FileExistsError: if `base_dir/name/<version>` already exists.
        ValueError: for a bad name, version or translator.

    Example:

    >>> path = export(translator, "saved_models", "ko_en")
    >>> path
    'saved_models/ko_en/1'
    """
    if not isinstance(translator, translator_lib.Translator):
        raise ValueError(f"export: `translator` must be a keras_attn.Translator, got {type(translator).__name__}.")
    if not isinstance(name, str) or not _NAME_PATTERN.fullmatch(name) or _VERSION_PATTERN.fullmatch(name):
        raise ValueError(
            f"export: `name` must be letters, digits, '.', '_' or '-' (not only digits, not "
            f"starting with '.'), got {name!r}."
        )
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        raise ValueError(f"export: `version` must be a positive int or None, got {version!r}.")
    warmup_texts = _check_warmup(warmup_texts) if warmup_texts is not None else default_warmup_texts(translator)

    model_dir = os.path.join(os.fspath(base_dir), name)
    os.makedirs(model_dir, exist_ok=True)
    remove_stale_temp_dirs(model_dir)
    if version is None:
        version = max(list_versions(model_dir), default=0) + 1
    final = os.path.join(model_dir, str(version))
    if os.path.exists(final):
        raise FileExistsError(
            f"export: version {version} of model {name!r} already exists at {final}; versions are "
            "never overwritten. Pass another version, or version=None for the next one."
        )

    temp = os.path.join(model_dir, f"{_TEMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}")
    os.mkdir(temp)
    try:
        write_saved_model(translator, temp, name, version, warmup_texts, progress or (lambda line: None))
        # `os.rename` onto an existing empty folder would replace it: check again
        # right before, in case another exporter took the version meanwhile.
        if os.path.exists(final):
            raise FileExistsError(f"export: version {version} of model {name!r} appeared at {final} during the export.")
        os.rename(temp, final)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return final


def write_saved_model(translator, path, name, version, warmup_texts, progress=print):
    """Writes the complete SavedModel (graph, assets, metadata, warmup) into the folder `path`.

    `export` calls it on a temporary folder that it then renames into place; call
    `export`, not this, to publish a version. `progress` receives a line per phase.
    """
    progress(f"export {name}/{version}: tracing the serving graph and writing the SavedModel ...")
    # Inside the temp folder, so a killed export leaves nothing else behind.
    vocab_dir = os.path.join(path, "vocabularies.tmp")
    os.mkdir(vocab_dir)
    try:
        # Rebuilt from vocabulary files, the tokenizers' tables read those files,
        # which the SavedModel then stores as assets (rather than as constants).
        source = _file_backed(translator.source_tokenizer, os.path.join(vocab_dir, "source_vocabulary.txt"))
        target = _file_backed(translator.target_tokenizer, os.path.join(vocab_dir, "target_vocabulary.txt"))
        exported = translator.with_tokenizers(source, target)

        # ExportArchive (not a bare tf.Module) so that the TF1 loader, which TF
        # Serving uses, restores the very variables the graph reads.
        archive = keras.export.ExportArchive()
        archive.track(exported.model)
        archive.track(source)
        archive.track(target)
        archive.add_endpoint(
            name=SIGNATURE_NAME,
            fn=exported.serving_fn,
            input_signature=[tf.TensorSpec([None], tf.string, name=INPUT_NAME)],
        )
        archive.write_out(path, verbose=False)
    finally:
        shutil.rmtree(vocab_dir, ignore_errors=True)

    progress(f"export {name}/{version}: writing the metadata and {len(warmup_texts)} warm-up requests ...")
    metadata = build_metadata(translator, name, version)
    with open(os.path.join(path, "assets", METADATA_FILE), "w", encoding="utf-8") as file:
        json.dump(metadata, file, indent=2, ensure_ascii=False)
        file.write("\n")
    write_warmup_requests(os.path.join(path, "assets.extra", WARMUP_FILE), name, warmup_texts)


def _file_backed(tokenizer, vocabulary_path):
    """The same tokenizer, its tables initialised from a vocabulary file."""
    vocab_lib.write_vocabulary(tokenizer.get_vocabulary(), vocabulary_path)
    config = tokenizer.get_config()
    config["vocabulary"] = vocabulary_path
    return type(tokenizer).from_config(config)


def build_metadata(translator, name, version):
    """The content of `assets/keras_attn.json` for an export of `translator`.

    Args:
        translator: the exported `Translator`.
        name: the model name.
        version: the version number.

    Returns:
        A JSON-serialisable dict.
    """
    model = translator.model

    def tokenizer_record(tokenizer, vocabulary_file):
        config = tokenizer.get_config()
        config.pop("vocabulary", None)
        return {"class_name": type(tokenizer).__name__, "config": config, "vocabulary_file": vocabulary_file,
                "vocabulary_size": tokenizer.vocabulary_size()}

    return {
        "format_version": METADATA_FORMAT_VERSION,
        "library": "keras_attn",
        "library_version": __version__,
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
        "model_name": name,
        "version": version,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "signature": {
            "name": SIGNATURE_NAME,
            "inputs": {INPUT_NAME: "string [batch]"},
            "outputs": {
                "translation": "string [batch]",
                "scores": "float32 [batch], log-probability of the returned hypothesis",
                "source_tokens": "string [batch, source_length], padded with ''",
                "target_tokens": "string [batch, target_length], padded with '', includes [END]",
                "attention": "float32 [batch, target_length, source_length], zero padded",
            },
        },
        "source_vocabulary_size": translator.source_tokenizer.vocabulary_size(),
        "target_vocabulary_size": translator.target_tokenizer.vocabulary_size(),
        "source_tokenizer": tokenizer_record(translator.source_tokenizer, "source_vocabulary.txt"),
        "target_tokenizer": tokenizer_record(translator.target_tokenizer, "target_vocabulary.txt"),
        "reserved_ids": {
            token: index for index, token in enumerate(vocab_lib.RESERVED_TOKENS)
        },
        "max_source_length": translator.max_source_length,
        "max_length": translator.max_length,
        "decoding": {
            "strategy": translator.strategy,
            "beam_size": translator.effective_beam_size(),
            "length_penalty": translator.length_penalty,
            "max_length": translator.max_length,
        },
        "normalization": "NFKC, control characters removed, lowercase, punctuation split off; "
                         "invalid UTF-8 replaced by U+FFFD",
        "model": {
            "class_name": type(model).__name__,
            "module": type(model).__module__,
            "config": json.loads(json.dumps(model.get_config(), default=str)),
            "parameters": int(model.count_params()),
        },
    }


# Versions and temp folders -----------------------------------------------------


def list_versions(model_dir):
    """The integer versions present in `model_dir` (a model's base path), sorted.

    A version is a folder named with ASCII digits only (as TF Serving reads them).

    Example:

    >>> list_versions("saved_models/ko_en")
    [1, 2]
    """
    if not os.path.isdir(model_dir):
        return []
    return sorted(
        int(entry) for entry in os.listdir(model_dir)
        if _VERSION_PATTERN.fullmatch(entry) and os.path.isdir(os.path.join(model_dir, entry))
    )


def remove_stale_temp_dirs(model_dir):
    """Removes temp folders left in `model_dir` by exporters that no longer run.

    A temp folder whose writer process is still alive is left alone, so two
    exports of the same model may run at once.

    Args:
        model_dir: a model's base path, `base_dir/name`.

    Returns:
        The list of removed paths.
    """
    removed = []
    if not os.path.isdir(model_dir):
        return removed
    for entry in os.listdir(model_dir):
        match = _TEMP_PATTERN.fullmatch(entry)  # a user's folder that only starts alike is not ours
        if match and not _process_alive(int(match.group(1))):
            path = os.path.join(model_dir, entry)
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _process_alive(pid):
    if pid == os.getpid():
        # Our own pid can only match a folder of a previous process that had the
        # same pid; this process only creates folders it renames or removes.
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


# Warmup requests ----------------------------------------------------------------


def default_warmup_texts(translator, batches=_DEFAULT_WARMUP_BATCHES):
    """Warmup batches made of source-vocabulary words: sizes 1 and 4, plus "".

    Real words exercise the same path as real requests (tokenization, a full
    decoding loop), and two batch sizes warm up both shapes TF Serving batching
    is likely to produce.
    """
    words = [token for token in translator.source_tokenizer.get_vocabulary()[len(vocab_lib.RESERVED_TOKENS):]
             if not token.startswith("[")][:12] or ["warmup"]
    joiner = "" if type(translator.source_tokenizer).__name__ == "CharacterTokenizer" else " "
    sentence = joiner.join(words[:4])
    longer = joiner.join(words)
    return [[sentence], [sentence, longer, "", words[-1]]][:batches]


def _check_warmup(warmup_texts):
    batches = [list(batch) for batch in warmup_texts]
    if not batches or any(not batch or not all(isinstance(t, str) for t in batch) for batch in batches):
        raise ValueError(
            "export: `warmup_texts` must be a non-empty list of non-empty lists of str "
            f"(one list per warmup request), got {warmup_texts!r}."
        )
    return batches


def write_warmup_requests(path, model_name, batches, signature_name=SIGNATURE_NAME):
    """Writes TF Serving warmup records (`PredictionLog` protos in a TFRecord file).

    TF Serving replays them when it loads a version, before serving it, so the
    first real request does not pay for graph optimisation.

    Args:
        path: the file to write, normally `<version>/assets.extra/tf_serving_warmup_requests`.
        model_name: the model name put into each request's `model_spec`.
        batches: a list of lists of str, one `PredictRequest` per list.
        signature_name: the signature the requests call.

    Returns:
        `path`.
    """
    from tensorflow_serving.apis import predict_pb2
    from tensorflow_serving.apis import prediction_log_pb2

    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path) as writer:
        for batch in batches:
            request = predict_pb2.PredictRequest()
            request.model_spec.name = model_name
            request.model_spec.signature_name = signature_name
            request.inputs[INPUT_NAME].CopyFrom(
                tf.make_tensor_proto([t.encode("utf-8") for t in batch], dtype=tf.string, shape=[len(batch)])
            )
            record = prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(record.SerializeToString())
    return path


def read_warmup_requests(path):
    """Reads back the `PredictRequest`s of a warmup file (for checks and tests).

    Returns:
        A list of `tensorflow_serving.apis.predict_pb2.PredictRequest`.
    """
    from tensorflow_serving.apis import prediction_log_pb2

    requests = []
    for record in tf.data.TFRecordDataset(path).as_numpy_iterator():
        log = prediction_log_pb2.PredictionLog.FromString(record)
        requests.append(log.predict_log.request)
    return requests


# models.config ------------------------------------------------------------------


def write_model_config(path, models, model_platform="tensorflow"):
    """Writes a TF Serving `--model_config_file` serving several models.

    Args:
        path: the file to write, e.g. "saved_models/models.config".
        models: a dict `{name: base_path}` or a list of `(name, base_path)`; the
            base path is where the server sees the model's version folders (inside
            a container, e.g. "/models/ko_en").
        model_platform: TF Serving's platform name.

    Returns:
        The text written (a `model_config_list` text proto).

    Example:

    >>> write_model_config("saved_models/models.config",
    ...                    {"ko_en": "/models/ko_en", "reverse": "/models/reverse"})
    """
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    items = list(models.items()) if isinstance(models, dict) else list(models)
    if not items:
        raise ValueError("write_model_config: `models` is empty; give at least one (name, base_path).")
    config = model_server_config_pb2.ModelServerConfig()
    names = set()
    for item in items:
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and all(isinstance(v, str) and v for v in item)):
            raise ValueError(f"write_model_config: expected (name, base_path) string pairs, got {item!r}.")
        model_name, base_path = item
        if model_name in names:
            raise ValueError(f"write_model_config: model name {model_name!r} appears twice.")
        names.add(model_name)
        entry = config.model_config_list.config.add()
        entry.name = model_name
        entry.base_path = base_path
        entry.model_platform = model_platform
    text = text_format.MessageToString(config, as_utf8=True)
    parent = os.path.dirname(os.fspath(path))
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
    return text
