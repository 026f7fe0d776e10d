"""Benchmarks of keras_attn: speed, memory and quality against what a user would pick instead.

Each module is one benchmark, run from the repository root as `python -m benchmarks.<module>`
(`--help` lists its options; most have a `--smoke` mode that takes seconds and writes
nothing). Full runs write markdown tables to benchmarks/results/.

  performance           every section below in one go: results/performance.md, .json, .png
    layer_speed         attention layers' forward+backward time vs Keras and keras-hub
    attention_flops     achieved GFLOP/s of attention vs a same-size matmul
    training_speed      Transformer training tokens/s vs a same-size keras-hub model
    decoding_speed      greedy and beam search with and without the KV cache
    layer_memory        peak RSS of one forward+backward vs sequence length
  backend_attention     MultiHeadAttention vs keras' layer on tensorflow, jax and torch: results/backend_attention.md
  kv_cache_decoding     greedy decoding time, cached vs uncached: results/kv_cache_decoding.md
  transformer_tasks     the Transformer trained on reverse-24 and ko-en: results/transformer_tasks.md
  reverse_attention     GRU encoder-decoders with and without attention on reverse (prints a table)
  serving_latency       exported SavedModel vs Translator.translate latency: results/serving_latency.md
  serving_soak          many threads calling one loaded SavedModel: results/serving_soak.md
  data_pipeline_memory  peak RSS of the streaming data pipeline vs a materialised corpus (prints a table)
  quickstart_time       wall time of `keras-attn quickstart` (and against a commit): results/quickstart_*.md
  cli_startup           wall time of `keras-attn --help`: appends to results/cli_startup.md
  translate_memory      peak RSS of `translate --input` on a SavedModel, 1k vs 100k lines

common holds what they share: timing, the machine record and markdown writing.
"""
