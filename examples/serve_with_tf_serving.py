"""Train a small Korean→English translator, export it for TF Serving, reload it, query it.

Steps:
1. train a GRU + Bahdanau model on the built-in ko-en corpus;
2. `keras_attn.export.export` → `saved_models/ko_en/<version>/` (text in, text out);
3. reload that SavedModel in Keras with `keras.layers.TFSMLayer` and check it
   translates like the in-process `Translator`;
4. write a `models.config` and print the `docker run` command;
5. if a server answers on the given ports, call it over REST and gRPC with
   `keras_attn.serving` (otherwise show the calls and the clear error you get).

    python examples/serve_with_tf_serving.py            # ~2 minutes on 2 CPU cores
    python examples/serve_with_tf_serving.py --smoke    # seconds: tiny model, temp folder
"""

import argparse
import os
import tempfile

import keras
import tensorflow as tf

import keras_attn
from keras_attn import data
from keras_attn import models
from keras_attn import serving
from keras_attn.export import export
from keras_attn.export import write_model_config

SENTENCES = ["나는 밥을 먹었다", "그녀는 말을 탔어", "오늘 음악이 쉬울 거야", ""]


def train_translator(train_size, epochs, units):
    """A GRU + Bahdanau ko-en translator (greedy decoding, sources ≤ 32 tokens)."""
    pairs = data.load("ko-en", "train", size=train_size, seed=0)
    source = data.WordTokenizer.from_corpus(pairs.map(lambda s, t: s))
    target = data.WordTokenizer.from_corpus(pairs.map(lambda s, t: t))
    batches = data.make_dataset(pairs, source, target, batch_size=64, shuffle=True, seed=0, cache=True)
    keras.utils.set_random_seed(0)
    model = models.seq2seq(source.vocabulary_size(), target.vocabulary_size(), cell="gru",
                           attention="bahdanau", embedding_dim=32, units=units)
    model.compile()  # the family's training defaults: Adam(3e-3), masked loss and accuracy
    model.fit(batches, epochs=epochs, verbose=2, shuffle=False)  # the pipeline shuffles
    return keras_attn.Translator(model, source, target, strategy="greedy", max_length=40, max_source_length=32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny model, one epoch, temporary output folder")
    parser.add_argument("--base-dir", default=None, help="model base folder (default saved_models, or a temp dir with --smoke)")
    parser.add_argument("--name", default="ko_en")
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--rest-port", type=int, default=8501)
    parser.add_argument("--grpc-port", type=int, default=8500)
    args = parser.parse_args()

    if args.smoke:
        translator = train_translator(train_size=500, epochs=1, units=16)
    else:
        translator = train_translator(train_size=20_000, epochs=8, units=96)
    base_dir = args.base_dir or (tempfile.mkdtemp(prefix="keras_attn_serving_") if args.smoke else "saved_models")

    # 2. Export: the whole pipeline is in the graph; the version folder appears atomically.
    path = export(translator, base_dir, args.name)
    print(f"exported {path}: {sorted(os.listdir(path))}")

    # 3. Reload in Keras, as a layer, and compare with the in-process translator.
    layer = keras.layers.TFSMLayer(path, call_endpoint="serving_default")
    outputs = layer(tf.constant(SENTENCES))
    reloaded = [t.decode("utf-8") for t in outputs["translation"].numpy()]
    in_process = translator.translate(SENTENCES)
    for sentence, translation in zip(SENTENCES, reloaded):
        print(f"  {sentence!r:28} -> {translation!r}")
    assert reloaded == in_process, (reloaded, in_process)
    print("TFSMLayer translations == Translator.translate: OK")

    # 4. Serving configuration for one or several models.
    config_path = os.path.join(base_dir, "models.config")
    write_model_config(config_path, {args.name: f"/models/{args.name}"})
    absolute = os.path.abspath(os.path.join(base_dir, args.name))
    print(f"\nwrote {config_path}. Serve the model with:\n"
          f"  docker run --rm -p {args.rest_port}:8501 -p {args.grpc_port}:8500 \\\n"
          f"    --mount type=bind,source={absolute},target=/models/{args.name} \\\n"
          f"    -e MODEL_NAME={args.name} tensorflow/serving:latest\n")

    # 5. Clients (keras_attn.serving): REST with urllib, gRPC with tensorflow-serving-api.
    rest = serving.RestClient(args.name, host=args.host, port=args.rest_port, timeout=5)
    try:
        print("REST status:", rest.status()["model_version_status"])
        print("REST  :", rest.translate(SENTENCES))
        with serving.GrpcClient(args.name, host=args.host, port=args.grpc_port, timeout=10) as grpc_client:
            print("gRPC  :", grpc_client.translate(SENTENCES))
    except serving.ServingError as error:
        print(f"No TF Serving to query ({type(error).__name__}): {error}")
        print("Start the container above, then call:\n"
              f"  serving.RestClient({args.name!r}, port={args.rest_port}).translate([...])\n"
              f"  serving.GrpcClient({args.name!r}, port={args.grpc_port}).translate([...])")


if __name__ == "__main__":
    main()
