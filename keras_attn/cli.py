"""The `keras-attn` command line: parses arguments and calls the library.

Subcommands are added here as the features they expose land; each one only parses
its arguments and calls a public function of the package.
"""

import argparse
import sys

from keras_attn.version import __version__


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-attn",
        description="Attention mechanisms and the models built on them, for Keras 3.",
    )
    parser.add_argument("--version", action="version", version=f"keras-attn {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
