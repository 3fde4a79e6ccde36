"""Load the course's CSV data for the pandas lab: ``muat("pesanan")``."""

from __future__ import annotations

from pathlib import Path

from .i18n import t
from .paths import data_dir


class DataError(FileNotFoundError):
    """A dataset that does not exist; the message lists the ones that do."""


def available(folder: Path | None = None) -> list[str]:
    folder = folder or data_dir()
    return sorted(p.stem for p in folder.glob("*.csv"))


def muat(name: str, folder: Path | None = None):  # -> pandas.DataFrame
    """Read ``data/<name>.csv``; columns whose name starts with ``tanggal`` become dates."""
    import pandas as pd

    folder = folder or data_dir()
    path = folder / f"{name}.csv"
    if not path.is_file():
        names = ", ".join(available(folder)) or t("data.none")
        raise DataError(t("data.missing", name=name, folder=folder, names=names))
    frame = pd.read_csv(path)
    for column in frame.columns:
        if str(column).startswith("tanggal"):
            frame[column] = pd.to_datetime(frame[column])
    return frame
