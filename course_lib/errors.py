"""Exceptions raised by the course library.

Every message says what went wrong *and what to do about it*; the command line prints
the message as one line and exits with a non-zero status instead of a traceback.
"""


class CourseError(Exception):
    """Base class for errors the course reports to the learner."""


class DataNotFoundError(CourseError):
    """A dataset folder is missing or holds no usable images."""


class ImageLoadError(CourseError):
    """A file is not an image Pillow can read, or it is corrupt."""


class DownloadError(CourseError):
    """A download failed, was interrupted, or returned something that is not the dataset."""


class UnsafeArchiveError(DownloadError):
    """An archive member would be written outside the destination (absolute path, '..', link)."""


class WeightsUnavailableError(CourseError):
    """Pretrained weights were asked for but cannot be downloaded or found."""


class OutputPathError(CourseError):
    """Output cannot go where the user asked: a file is in the way, or the folder is not writable."""


class NotebookExecutionError(CourseError):
    """A course notebook failed (or timed out) while being executed headlessly."""


class MetricInputError(CourseError, ValueError):
    """Images passed to a metric do not fit it: shapes or dtypes differ, NaN, no data_range..."""


class SplitRatioError(CourseError, ValueError):
    """Train / val / test ratios that are not three non-negative numbers adding up to 1."""


class ModelFileError(CourseError):
    """A model file is missing, or is not a colorizer this course wrote."""


def describe_exception(exc: BaseException, limit: int = 240) -> str:
    """``"TypeName: message"`` for quoting a low-level error inside a course message.

    Keeps the first line of the message only (tracebacks and dumps follow on later lines)
    and, when that is longer than ``limit`` characters, cuts it at a word boundary and ends
    it with "...", never in the middle of a word or number.
    """
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0] if lines else ""
    if len(lines) > 1:
        text += " ..."
    if len(text) > limit:
        cut = text[:limit]
        if not text[limit].isspace() and " " in cut:  # mid-word: drop the partial word
            cut = cut[: cut.rindex(" ")]
        text = cut.rstrip(" ,;:-") + " ..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
