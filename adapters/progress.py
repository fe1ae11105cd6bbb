"""The import's progress bar (rich), shown for large inputs only and updated cheaply.

The bar is refreshed by rich's own thread; the import loop only records a count every `EVERY` rows, so the bar
costs nothing measurable per row.
"""

from __future__ import annotations

from typing import Any

EVERY = 500
LARGE = 2000  # inputs known to be smaller finish before a bar would be read


class ProgressBar:
    def __init__(self, progress: Any, total: int | None, description: str) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._own = not isinstance(progress, Progress)
        if self._own:
            progress = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            )
            progress.start()
        self.progress = progress
        self.total = total
        self.task = progress.add_task(description, total=total)

    @classmethod
    async def maybe(cls, progress: Any, source: Any) -> ProgressBar | None:
        """A bar when `progress` asks for one: a rich Progress to draw into, or True (for large inputs)."""
        if progress is False or progress is None:
            return None
        hint = getattr(source, "total_hint", None)
        total = await hint() if hint is not None else None
        if progress is True and total is not None and total < LARGE:
            return None
        return cls(progress, total, "导入 (importing)")

    async def update(self, done: int, source: Any) -> None:
        if self.total is None:
            # Services learn their total from the first page, workbooks once the sheet is open.
            hint = getattr(source, "total_hint", None)
            self.total = await hint() if hint is not None else None
            if self.total is not None:
                self.progress.update(self.task, total=self.total)
        self.progress.update(self.task, completed=done)

    def close(self, done: int) -> None:
        self.progress.update(self.task, completed=done, total=done)
        if self._own:
            self.progress.stop()
