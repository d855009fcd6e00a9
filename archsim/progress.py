"""The progress bar long-running work shows on stderr (Monte-Carlo chips, training epochs)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)


def progress_bar(enabled: bool) -> Progress:
    """A transient bar with done/total, a `status` field and the time remaining."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not enabled,
    )


Step = Callable[[str], None]  # says what a command is doing now


@contextmanager
def status(enabled: bool = True) -> Iterator[Step]:
    """A transient one-line status on stderr (a spinner and what the command is doing now),
    for work that takes more than a couple of seconds without a count to show; nothing
    off a terminal, so piped and logged output stays clean."""
    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield lambda _text: None
        return
    with console.status("") as shown:
        yield lambda text: shown.update(text)
