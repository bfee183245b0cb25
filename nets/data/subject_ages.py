"""Age (years) and source of every real subject with a participants.tsv beside its scans (ds002748, IXI)."""
from __future__ import annotations

import csv
from pathlib import Path

SOURCES = {"brain_t1": "ds002748", "brain_t1_ixi": "ixi"}


def subject_ages(data_dir) -> dict:
    """{subject: age in years} for both sources; subjects without a numeric age are left out."""
    out = {}
    for folder in SOURCES:
        tsv = Path(data_dir) / folder / "participants.tsv"
        if not tsv.exists():
            continue
        with tsv.open() as f:
            for row in csv.DictReader(f, delimiter="\t"):
                try:
                    out[row["participant_id"]] = float(row["age"])
                except (KeyError, TypeError, ValueError):
                    continue
    return out
