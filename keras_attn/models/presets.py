"""The zoo's named configurations: models from the papers, and tiny ones for a CPU.

`list_presets()` lists them; `from_preset(name, source_vocab_size,
target_vocab_size, **overrides)` builds one. The paper presets record the
vocabulary sizes the papers used, so their parameter counts can be checked against
the papers (`parameter_count(name)`).
"""

from keras_attn.models.seq2seq import seq2seq

_BUILDERS = {"seq2seq": seq2seq}

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
                       attention_units=1000),
        "paper_vocab": (30000, 30000),
        "description": "Bahdanau et al. 2015 RNNsearch: bidirectional GRU 1000, embeddings 620, additive attention "
                       "(without the paper's maxout output layer).",
    },
    "luong_2015_global": {
        "builder": "seq2seq",
        "config": dict(cell="lstm", attention="luong", luong_score="general", embedding_dim=1000, units=1000,
                       num_layers=4, dropout=0.2),
        "paper_vocab": (50000, 50000),
        "description": "Luong et al. 2015: 4-layer LSTM 1000, global attention, general score, input feeding.",
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
        "description": "CPU-sized Luong global attention (general score, input feeding).",
    },
}


def _preset(name):
    if name not in PRESETS:
        raise ValueError(f"from_preset: unknown preset {name!r}; expected one of {sorted(PRESETS)}.")
    return PRESETS[name]


def from_preset(name, source_vocab_size, target_vocab_size, **overrides):
    """Builds the preset `name` for the given vocabularies; `overrides` replace its config."""
    preset = _preset(name)
    config = {**preset["config"], **overrides}
    return _BUILDERS[preset["builder"]](source_vocab_size, target_vocab_size, name=name, **config)


def parameter_count(name, source_vocab_size=None, target_vocab_size=None):
    """Parameters of the preset, built for the given vocabularies (default: the paper's)."""
    paper_vocab = _preset(name)["paper_vocab"] or (1000, 1000)
    model = from_preset(name, source_vocab_size or paper_vocab[0], target_vocab_size or paper_vocab[1])
    return model.count_params()


def list_presets(with_parameter_counts=False, print_table=False):
    """The presets as a list of dicts (name, family, description, config, paper vocab).

    Args:
        with_parameter_counts: also build each preset at its paper's vocabulary size
            (1000/1000 for the tiny ones) and add `parameters` (the big presets take
            a few seconds and a few GB of memory each).
        print_table: print one line per preset.
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
    if print_table:
        for row in rows:
            count = f"{row['parameters'] / 1e6:9.1f}M" if "parameters" in row else ""
            print(f"{row['name']:20s} {row['family']:10s}{count}  {row['description']}")
    return rows
