"""``python -m course_lib COMMAND ...``: the course's command line.

Each command lives in the module that owns its concern, named in :data:`COMMANDS` (the one
registry of commands). That module defines ``configure_parser(parser)`` (adds the command's
arguments) and ``run_cli(args) -> int`` (does the work, returns the exit status). Only the
module of the command being run is imported, so ``--help`` is instant and never loads
TensorFlow or scikit-image.

Errors the user can fix (:class:`~course_lib.errors.CourseError` and its subclasses, and a package
of an optional extra that is not installed, :mod:`course_lib.extras`) print one line on stderr and
exit with status 2. Anything else is a bug in the course and keeps its
traceback: it must not look like the user's mistake.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: command -> (module, one-line help)
COMMANDS = {
    "inspect": ("course_lib.data", "summarise an NCD folder: categories, counts, skipped files, sizes"),
    "download": ("course_lib.sources", "download (or unpack a local copy of) NCD safely"),
    "sample": ("course_lib.sample_data", "generate the offline sample set of NCD-like images"),
    "train": ("course_lib.train", "train the VGG19 colorization model, with checkpoints and --resume"),
    "train-classifier": ("course_lib.semantic", "train the category classifier on real photos (semantic accuracy "
                         "for evaluate --classifier)"),
    "colorize": ("course_lib.colorizer", "colorize images at full resolution with a trained model"),
    "evaluate": ("course_lib.evaluate", "evaluate a model (or the gray baseline) with the course's protocol"),
    "run-notebooks": ("course_lib.course.runner", "execute the course notebooks headlessly, top to bottom"),
    "grade": ("course_lib.course.class_grading", "score notebooks' exercises in fresh kernels: one learner, or a "
              "class folder (--class --csv)"),
    "solve": ("course_lib.course.solved", "write solved copies of the notebooks (each stub replaced by its solution)"),
    "export-nbgrader": ("course_lib.course.nbgrader_export",
                        "write the notebooks as an nbgrader course (source/ and config)"),
    "exercises": ("course_lib.course.exercise_table",
                  "list the exercises by notebook and kind (--table: the README's table)"),
}

#: command -> module that extends it: its ``configure_parser`` adds flags after the owner's, and its
#: ``run_cli`` runs the command (handing back to the owner's when its flags are not used).
COMMAND_EXTENSIONS = {"train": "course_lib.adversarial"}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported, to add that command's arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m course_lib",
        description="Colorize Course command line. Run 'python -m course_lib COMMAND --help' for details.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = importlib.import_module(module_name)
            module.configure_parser(command_parser)
            if name in COMMAND_EXTENSIONS:
                module = importlib.import_module(COMMAND_EXTENSIONS[name])
                module.configure_parser(command_parser)
            command_parser.set_defaults(_module=module)
    return parser


def _command_in(argv: list[str]) -> str | None:
    """The command named in ``argv``: its first argument that is not an option (the top level has none)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    from course_lib.errors import CourseError
    from course_lib.extras import missing_dependency

    argv = sys.argv[1:] if argv is None else list(argv)
    command = _command_in(argv)
    try:
        args = build_parser(command).parse_args(argv)
        from course_lib.environment import enable_gpu_memory_growth

        enable_gpu_memory_growth()  # before any command starts TensorFlow: share the GPU with a notebook's kernel
        return int(args._module.run_cli(args) or 0)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # a package of an optional extra (pyproject.toml) is missing
        error = missing_dependency(exc, f"python -m course_lib {command}")
        if error is None:
            raise  # anything else is a bug in the course: keep its traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
