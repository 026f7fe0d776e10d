"""The zoo's named configurations: models from the papers, and tiny ones for a CPU.

`list_presets()` lists them; `from_preset(name, source_vocab_size,
target_vocab_size, **overrides)` builds one. The paper presets record the
vocabulary sizes the papers used, so their parameter counts can be checked against
the papers (`parameter_count(name)`).

Encoder-decoder families (`seq2seq`, `transformer`) take a source and a target
vocabulary size; the single-vocabulary families (`transformer_encoder`,
`transformer_decoder_lm`) take one, passed as `source_vocab_size` (or as
`vocab_size=`), and their `paper_vocab` is a 1-tuple.
"""

from keras_attn.models.seq2seq import seq2seq
from keras_attn.models.transformer import transformer
from keras_attn.models.transformer_decoder_lm import transformer_decoder_lm
from keras_attn.models.transformer_encoder import transformer_encoder

_BUILDERS = {
    "seq2seq": seq2seq,
    "transformer": transformer,
    "transformer_encoder": transformer_encoder,
    "transformer_decoder_lm": transformer_decoder_lm,
}
# Families whose builder takes one `vocab_size`.
_SINGLE_VOCABULARY = ("transformer_encoder", "transformer_decoder_lm")

PRESETS = {
    "sutskever_2014": {
        "builder": "seq2seq",
        "config": dict(cell="lstm", attention=None, embedding_dim=1000, units=1000, num_layers=4),
        "paper_vocab": (160000, 80000),
        "description": "Sutskever et al. 2014: 4-layer LSTM encoder-decoder, fixed context vector.",
    },
    "rnnenc_2014": {
        "builder": "seq2seq",
        "config": dict(cell="gru", attention=None, embedding_dim=620, units=1000),
        "paper_vocab": (30000, 30000),
        "description": "Cho et al. 2014 / Bahdanau et al. 2015's RNNencdec baseline: GRU 1000, no attention.",
    },
    "rnnsearch_2015": {
        "builder": "seq2seq",
        "config": dict(cell="gru", attention="bahdanau", embedding_dim=620, units=1000, bidirectional=True,
                       attention_units=1000, bridge="backward", deep_output_units=500),
        "paper_vocab": (30000, 30000),
        "description": "Bahdanau et al. 2015 RNNsearch: bidirectional GRU 1000, embeddings 620, additive attention, "
                       "s0 = tanh(W_s h<-_1), maxout deep output (500 units, pool 2). The deep output reads "
                       "the new state s_i, as in the paper's eq. 4 (its appendix A.2.2 writes s_{i-1}).",
    },
    "luong_2015_global": {
        "builder": "seq2seq",
        "config": dict(cell="lstm", attention="luong", luong_score="general", embedding_dim=1000, units=1000,
                       num_layers=4, dropout=0.2, layer_dropout=0.2, attentional_activation="tanh"),
        "paper_vocab": (50000, 50000),
        "description": "Luong et al. 2015: 4-layer LSTM 1000, global attention, general score, input feeding, "
                       "tanh attentional state, dropout 0.2 on every non-recurrent connection (between the stacked "
                       "layers, after the embeddings and before the softmax, as in Zaremba et al.). "
                       "Deviates: no source reversal.",
    },
    "tiny_seq2seq": {
        "builder": "seq2seq",
        "config": dict(cell="lstm", attention=None, embedding_dim=32, units=128),
        "paper_vocab": None,
        "description": "CPU-sized fixed-context LSTM baseline.",
    },
    "tiny_bahdanau": {
        "builder": "seq2seq",
        "config": dict(cell="gru", attention="bahdanau", embedding_dim=32, units=96, bidirectional=True),
        "paper_vocab": None,
        "description": "CPU-sized RNNsearch: bidirectional GRU with additive attention.",
    },
    "tiny_luong": {
        "builder": "seq2seq",
        "config": dict(cell="lstm", attention="luong", luong_score="general", embedding_dim=32, units=96),
        "paper_vocab": None,
        "description": "CPU-sized Luong global attention (general score, input feeding, linear attentional state).",
    },
    # Vaswani et al. 2017, Table 3 (EN-DE): a shared source/target BPE vocabulary of
    # about 37,000 tokens, one matrix for both embeddings and the output projection.
    "transformer_base": {
        "builder": "transformer",
        "config": dict(num_layers=6, d_model=512, num_heads=8, d_ff=2048, dropout=0.1,
                       share_embeddings=True, tie_output_embedding=True),
        "paper_vocab": (37000, 37000),
        "description": "Vaswani et al. 2017 Transformer (base): N=6, d_model 512, 8 heads, d_ff 2048, "
                       "shared embeddings (65M parameters in the paper).",
    },
    "transformer_big": {
        "builder": "transformer",
        "config": dict(num_layers=6, d_model=1024, num_heads=16, d_ff=4096, dropout=0.3,
                       share_embeddings=True, tie_output_embedding=True),
        "paper_vocab": (37000, 37000),
        "description": "Vaswani et al. 2017 Transformer (big): N=6, d_model 1024, 16 heads, d_ff 4096, "
                       "P_drop 0.3, shared embeddings (213M parameters in the paper).",
    },
    "bert_like_small": {
        "builder": "transformer_encoder",
        "config": dict(num_layers=4, d_model=512, num_heads=8, d_ff=2048, dropout=0.1, activation="gelu"),
        "paper_vocab": (30522,),
        "description": "Encoder-only, sized like BERT-Small (Turc et al. 2019: L=4, H=512, A=8) with BERT's "
                       "WordPiece vocabulary size; sinusoidal positions, no segment embeddings.",
    },
    "gpt_like_small": {
        "builder": "transformer_decoder_lm",
        "config": dict(num_layers=6, d_model=512, num_heads=8, d_ff=2048, dropout=0.1, activation="gelu",
                       norm_first=True, tie_output_embedding=True),
        "paper_vocab": (50257,),
        "description": "Decoder-only causal LM, pre-norm and tied output embedding as in GPT-2, 6 layers of "
                       "d_model 512 with GPT-2's vocabulary size; sinusoidal positions.",
    },
    "tiny_transformer": {
        "builder": "transformer",
        "config": dict(num_layers=2, d_model=128, num_heads=4, d_ff=256, dropout=0.1),
        # Runs of a few thousand steps: the paper's 4000 warm-up steps would end
        # before the learning rate peaks.
        "training": dict(warmup_steps=1000),
        "paper_vocab": None,
        "description": "CPU-sized encoder-decoder Transformer (2 layers, d_model 128, 4 heads).",
    },
    "tiny_bert_like": {
        "builder": "transformer_encoder",
        "config": dict(num_layers=2, d_model=64, num_heads=4, d_ff=128, dropout=0.1, activation="gelu"),
        "paper_vocab": None,
        "description": "CPU-sized encoder-only Transformer (2 layers, d_model 64, 4 heads).",
    },
    "tiny_gpt_like": {
        "builder": "transformer_decoder_lm",
        "config": dict(num_layers=2, d_model=64, num_heads=4, d_ff=256, dropout=0.1, activation="gelu",
                       norm_first=True, tie_output_embedding=True),
        "paper_vocab": None,
        "description": "CPU-sized decoder-only causal LM (2 layers, d_model 64, 4 heads, pre-norm, tied).",
    },
}


def _preset(name):
    if name not in PRESETS:
        raise ValueError(f"from_preset: unknown preset {name!r}; expected one of {sorted(PRESETS)}.")
    return PRESETS[name]


def _vocabularies(name, source_vocab_size, target_vocab_size):
    """The builder's positional vocabulary arguments for the preset's family."""
    if _preset(name)["builder"] in _SINGLE_VOCABULARY:
        if target_vocab_size is not None and target_vocab_size != source_vocab_size:
            raise ValueError(
                f"from_preset: preset {name!r} is a single-vocabulary model; pass one vocabulary size, "
                f"got source_vocab_size={source_vocab_size!r} and target_vocab_size={target_vocab_size!r}."
            )
        return (source_vocab_size,)
    if target_vocab_size is None:
        raise ValueError(
            f"from_preset: preset {name!r} is an encoder-decoder; `target_vocab_size` must be a positive int, "
            "got None."
        )
    return source_vocab_size, target_vocab_size


def from_preset(name, source_vocab_size=None, target_vocab_size=None, **overrides):
    """Builds the preset `name` for the given vocabularies; `overrides` replace its config.

    A preset may adjust its family's `training_policy` (its `"training"` entry), so
    that `model.compile()` trains it as the preset intends.

    Encoder-decoders take `(source_vocab_size, target_vocab_size)`; encoder-only and
    decoder-only presets take one size, `from_preset(name, vocab_size)` (also
    accepted as `vocab_size=`).
    """
    preset = _preset(name)
    if "vocab_size" in overrides and preset["builder"] in _SINGLE_VOCABULARY:
        if source_vocab_size is not None:
            raise ValueError(f"from_preset: preset {name!r} got both source_vocab_size and vocab_size.")
        source_vocab_size = overrides.pop("vocab_size")
    config = {**preset["config"], **overrides}
    vocabularies = _vocabularies(name, source_vocab_size, target_vocab_size)
    model = _BUILDERS[preset["builder"]](*vocabularies, name=name, **config)
    if "training" in preset:
        model.training_policy = model.training_policy.replace(**preset["training"])
    return model


def parameter_count(name, source_vocab_size=None, target_vocab_size=None):
    """Parameters of the preset, built for the given vocabularies (default: the paper's;
    1000 for the tiny presets). Single-vocabulary presets use `source_vocab_size`."""
    preset = _preset(name)
    single = preset["builder"] in _SINGLE_VOCABULARY
    paper_vocab = preset["paper_vocab"] or ((1000,) if single else (1000, 1000))
    source = source_vocab_size or paper_vocab[0]
    target = None if single else (target_vocab_size or paper_vocab[1])
    model = from_preset(name, source, target)
    return model.count_params()


def list_presets(with_parameter_counts=False, print_table=False):
    """The presets as a list of dicts (name, family, description, config, paper vocab).

    Args:
        with_parameter_counts: also build each preset at its paper's vocabulary size
            (1000/1000 for the tiny ones) and add `parameters` (the big presets take
            a few seconds and a few GB of memory each; `transformer_big` about 1 GB).
        print_table: print one line per preset, as soon as it is counted.
    """
    rows = []
    for name, preset in PRESETS.items():
        row = {
            "name": name,
            "family": preset["builder"],
            "description": preset["description"],
            "config": dict(preset["config"]),
            "paper_vocab": preset["paper_vocab"],
        }
        if with_parameter_counts:
            row["parameters"] = parameter_count(name)
        rows.append(row)
        if print_table:  # line by line: counting the big presets takes a while
            count = f"{row['parameters'] / 1e6:9.1f}M" if "parameters" in row else ""
            print(f"{row['name']:20s} {row['family']:10s}{count}  {row['description']}", flush=True)
    return rows
