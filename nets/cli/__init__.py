"""Every command-line tool, one module per verb: python -m nets.<verb> and python -m nets.cli.<verb> run the same
main; pyproject.toml installs each as a console script (nets/cli/scripts.py, e.g. xai-predict). Each prints JSON
and follows the error contract of nets/cli_contract.py (one JSON line on stderr, non-zero exit)."""
