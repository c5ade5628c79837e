"""Many files read at once: a pool of worker processes (pebble), each file under a time limit that grows
with its pages, so a PDF whose layout or OCR never finishes fails alone, a reader that crashes takes only
its own file down, and the batch goes on using every core."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from pebble import ProcessExpired, ProcessFuture, ProcessPool

from knowledge.chunking import DEFAULT_MAX_CHARS
from knowledge.documents import Chunk, Document
from knowledge.parsing import DocumentError, ReadOptions
from knowledge.reading import read_file

# A file that is not paged counts one page per this many bytes, for its time limit and the progress bar.
_BYTES_PER_PAGE = 200_000
# Imported once in the fork server, so a worker starts in milliseconds with its parsers loaded.
_PRELOAD = ["knowledge.reading", "knowledge.formats.pdf", "knowledge.formats.docx", "knowledge.formats.html",
            "knowledge.formats.passages"]
MAIN_GUARD = ("files are read by worker processes, which run the main script to start: a script that ingests "
              "must do so under `if __name__ == \"__main__\":` (as Python's multiprocessing requires), or read "
              "in its own process (DE_PARSE_WORKERS=0, ReadOptions(workers=0))")

@dataclass(frozen=True)
class FileRead:
    """One file of a batch: its documents with their chunks, or why it could not be used."""

    path: Path
    pages: int
    found: list[tuple[Document, list[Chunk]]] = field(default_factory=list)
    error: str = ""


def file_pages(path: Path) -> int:
    """Pages of a PDF (PDFium reads only the page tree); other files one per 200 kB. 1 when unreadable:
    the reader then says what is wrong with the file."""
    if path.suffix.lower() == ".pdf":
        try:
            import pypdfium2

            document = pypdfium2.PdfDocument(str(path))
            try:
                return max(1, len(document))
            finally:
                document.close()
        except Exception:  # noqa: BLE001 - a damaged PDF: read_file reports it with a clear message
            return 1
    try:
        return 1 + path.stat().st_size // _BYTES_PER_PAGE
    except OSError:
        return 1


def _context() -> multiprocessing.context.BaseContext:
    # Not fork: the ingesting process may hold torch's, ONNX Runtime's and the web server's threads, and a
    # forked child inherits their locks mid-use (seen here: an inherited OCR session hung the child in
    # fork). A fork server is started clean once, with the parsers imported, and forks the workers.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def starting_a_worker() -> bool:
    """True while a worker process runs the main script to start (spawn and fork-server children do): a
    script that ingests without `if __name__ == "__main__":` would ingest again there, and wait forever
    for the writer lock its parent holds."""
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def read_files(paths: Sequence[Path], options: ReadOptions, max_chars: int = DEFAULT_MAX_CHARS,
               infer: bool = False, product_names: dict[str, tuple[str, ...]] | None = None,
               progress: Callable[[str, int, int], None] | None = None) -> Iterator[FileRead]:
    """Each file read as :func:`~knowledge.reading.read_file` reads it, in the order given, by
    ``options.workers`` processes (none: in this process, with no time limit). ``progress`` gets
    ("parse", pages done, pages in all)."""
    pages = [file_pages(path) for path in paths]
    total, done = sum(pages), 0
    if progress:
        progress("parse", 0, total)
    args = (options, max_chars, infer, product_names)
    if not paths:
        return
    if options.workers <= 0:
        for path, count in zip(paths, pages, strict=True):
            yield _read_here(path, count, args)
            done += count
            if progress:
                progress("parse", done, total)
        return
    pool = ProcessPool(max_workers=min(options.workers, len(paths)), context=_context())
    finished = False
    try:
        futures = [pool.schedule(read_file, (path, *args), timeout=options.seconds_per_page * count)
                   for path, count in zip(paths, pages, strict=True)]
        for path, count, future in zip(paths, pages, futures, strict=True):
            yield _outcome(path, count, future, options.seconds_per_page)
            done += count
            if progress:
                progress("parse", done, total)
        finished = True
    finally:
        if finished:
            pool.close()
        else:  # Ctrl-C, or the caller stopped early: the files not read yet are dropped
            pool.stop()
        pool.join()


def _read_here(path: Path, pages: int, args: tuple[object, ...]) -> FileRead:
    try:
        return FileRead(path, pages, read_file(path, *args))  # type: ignore[arg-type]
    except (DocumentError, OSError) as err:
        return FileRead(path, pages, error=str(err))


def _outcome(path: Path, pages: int, future: ProcessFuture, seconds_per_page: float) -> FileRead:
    try:
        return FileRead(path, pages, future.result())
    except TimeoutError:  # before OSError, of which it is one
        unit = "page" if pages == 1 else "pages"
        return FileRead(path, pages, error=(
            f"{path}: reading stopped after {seconds_per_page * pages:g} s ({pages} {unit} at "
            f"{seconds_per_page:g} s a page); a page may be damaged or too large to read. Split the file, "
            "or raise DE_PARSE_SECONDS_PER_PAGE"))
    except (DocumentError, OSError) as err:
        return FileRead(path, pages, error=str(err))
    except BrokenProcessPool as err:
        raise RuntimeError(f"the processes that read files could not start; {MAIN_GUARD}") from err
    except ProcessExpired as err:
        return FileRead(path, pages, error=(
            f"{path}: the reader stopped (exit code {err.exitcode}) on this file: it may be damaged, or too "
            "large for the memory a worker has"))
