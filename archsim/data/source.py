"""Where datasets are looked for, and the interface every dataset loader implements.

A dataset kept in files is searched for, in order, in the `data_dir` the caller passed, in each
directory of `$ARCHSIM_DATA` (several separated by the OS path separator), and in the places a
system package installs it. In the user's directories both the directory itself and the
dataset's usual subfolders (e.g. `fashion-mnist/`, `cifar-10-batches-py/`) are tried, so one
data directory can hold every dataset. The first directory holding every file the dataset
needs wins.
"""

import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path

from archsim.data.records import Dataset, DatasetInfo, Split
from archsim.errors import UserError

ENV_VAR = "ARCHSIM_DATA"


def check_data_dir(data_dir: str | Path | None) -> Path | None:
    """The caller's data directory as a Path; one that does not exist is a user mistake."""
    if data_dir is None:
        return None
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        what = "is not a directory" if path.exists() else "does not exist"
        raise UserError(f"data directory {path} {what}")
    return path


def search_roots(data_dir: str | Path | None, system_dirs: tuple[Path, ...]) -> list[Path]:
    """The places to look in, most specific first."""
    roots = [path] if (path := check_data_dir(data_dir)) else []
    roots += [Path(p).expanduser() for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
    roots += list(system_dirs)
    return list(dict.fromkeys(roots))  # drop repeats, keep order


def check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise UserError(f"limit must be a positive number of examples, got {limit}")


def files_digest(paths: Iterable[Path]) -> str:
    """sha256 (hex, 32 digits) of the named files' names and contents, streamed."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()[:32]


class DatasetSource(ABC):
    """One named dataset: how to find it, how big it is, and how to load a split."""

    name: str
    description: str
    input_shape: tuple[int, int, int]
    num_classes: int
    how_to_get: str

    @abstractmethod
    def info(self, data_dir: str | Path | None = None) -> DatasetInfo:
        """Whether and where the dataset is present and its split sizes, cheaply."""

    @abstractmethod
    def load(self, split: Split, data_dir: str | Path | None, limit: int | None) -> Dataset:
        """The first `limit` examples (all when None) of one split, normalised."""

    @abstractmethod
    def fingerprint(self, data_dir: str | Path | None = None) -> str:
        """A digest of the data a load would read: another copy (an edited or truncated
        file) gives another fingerprint, so results keyed on it are never mixed up."""


class DirectorySource(DatasetSource):
    """A dataset kept as files in one directory somewhere on the search path."""

    required_files: tuple[str, ...] = ()  # canonical names; `resolve` may accept variants
    subfolders: tuple[str, ...] = ()
    system_dirs: tuple[Path, ...] = ()

    @abstractmethod
    def sizes(self, directory: Path) -> tuple[int, int]:
        """(train, test) example counts of the copy in `directory`."""

    @abstractmethod
    def load_from(self, directory: Path, split: Split, limit: int | None) -> Dataset:
        """Load one split from a directory holding every required file."""

    def resolve(self, directory: Path, name: str) -> Path | None:
        """The file standing for required file `name` in `directory`, if there is one."""
        path = directory / name
        return path if path.is_file() else None

    def file(self, directory: Path, name: str) -> Path:
        path = self.resolve(directory, name)
        if path is None:
            raise UserError(f"{self.name}: {directory} lacks {name}")
        return path

    def missing_files(self, directory: Path) -> list[str]:
        return [name for name in self.required_files if self.resolve(directory, name) is None]

    def candidates(self, data_dir: str | Path | None) -> list[Path]:
        """Directories to try in order: each user root and its usual subfolders, then the
        system locations (which are the dataset's own directory already)."""
        user_roots = search_roots(data_dir, ())
        tried = [d for root in user_roots for d in (root, *(root / s for s in self.subfolders))]
        return list(dict.fromkeys([*tried, *self.system_dirs]))

    def find(self, data_dir: str | Path | None) -> Path | None:
        for directory in self.candidates(data_dir):
            if directory.is_dir() and not self.missing_files(directory):
                return directory
        return None

    def locate(self, data_dir: str | Path | None) -> Path:
        """The directory holding the dataset, or a one-line UserError saying where it looked,
        what an incomplete copy lacks, and how to get the dataset."""
        directory = self.find(data_dir)
        if directory is not None:
            return directory
        user_roots = search_roots(data_dir, ())
        places = [str(root) for root in user_roots]
        if places and self.subfolders:
            whose = "its" if len(places) == 1 else "their"
            subfolders = " or ".join(f"{sub}/" for sub in self.subfolders)
            places[-1] += f" (and {whose} {subfolders} subfolders)"
        places += [str(d) for d in self.system_dirs]
        if places:
            message = f"{self.name} not found in {', '.join(places)}"
        else:
            message = f"{self.name} not found: no --data-dir given and ${ENV_VAR} is not set"
        for candidate in self.candidates(data_dir):
            missing = self.missing_files(candidate) if candidate.is_dir() else []
            if 0 < len(missing) < len(self.required_files):  # a partial copy: say what it lacks
                message += f"; {candidate} lacks {', '.join(missing)}"
                break
        raise UserError(f"{message}; {self.how_to_get}")

    def info(self, data_dir: str | Path | None = None) -> DatasetInfo:
        directory = self.find(data_dir)
        sizes: tuple[int | None, int | None] = (None, None)
        problem = ""
        if directory is not None:
            try:
                sizes = self.sizes(directory)
            except UserError as exc:
                problem = str(exc)
        return DatasetInfo(
            name=self.name,
            description=self.description,
            found=directory is not None,
            location=str(directory) if directory else "",
            searched=tuple(str(d) for d in self.candidates(data_dir)),
            how_to_get=self.how_to_get,
            input_shape=self.input_shape,
            num_classes=self.num_classes,
            train_size=sizes[0],
            test_size=sizes[1],
            problem=problem,
        )

    def load(self, split: Split, data_dir: str | Path | None, limit: int | None) -> Dataset:
        return self.load_from(self.locate(data_dir), split, limit)

    def fingerprint(self, data_dir: str | Path | None = None) -> str:
        directory = self.locate(data_dir)
        return files_digest(self.file(directory, name) for name in self.required_files)
