"""Reading the project's own record files without trusting them.

Saved translators and tokenizers are folders a user may have been handed: their
JSON records are checked field by field, and the paths they name must stay inside
the folder (no absolute path, no `..`), so that loading never reads elsewhere.
Errors name the file and the field, never echo the file's contents.

Outputs are written whole and then renamed (`write_text`), so an interrupted write
leaves the old file or the new one, never half of one.
"""

import json
import os
import pathlib
import tempfile


class RecordError(ValueError):
    """A saved record (JSON file) is unreadable, incomplete, or names a path outside its folder."""


def read_record(path, fields):
    """The JSON object in `path`, checked to hold `fields` (`{name: type}`).

    Raises:
        RecordError: the file is not JSON, not an object, or a field is missing or
            of another type.
    """
    try:
        with open(path, encoding="utf-8") as file:
            record = json.load(file)
    except UnicodeDecodeError as error:
        raise RecordError(f"{path}: not UTF-8 text ({error.reason}).") from None
    except json.JSONDecodeError as error:
        raise RecordError(f"{path}: not valid JSON ({error.msg}, line {error.lineno}).") from None
    if not isinstance(record, dict):
        raise RecordError(f"{path}: expected a JSON object, got {type(record).__name__}.")
    for name, kind in fields.items():
        if name not in record:
            raise RecordError(f"{path}: the field {name!r} is missing.")
        if not isinstance(record[name], kind) or isinstance(record[name], bool) and kind is not bool:
            raise RecordError(f"{path}: the field {name!r} must be a {kind.__name__}, got "
                              f"{type(record[name]).__name__}.")
    return record


def contained_path(directory, relative, record_path, field):
    """`directory/relative`, refused unless it stays inside `directory`.

    Raises:
        RecordError: `relative` is absolute or leaves the folder (`..`, a link out).
    """
    if os.path.isabs(relative):
        raise RecordError(f"{record_path}: the field {field!r} must be a path inside the folder, got an absolute "
                          "path.")
    root = os.path.realpath(directory)
    target = os.path.realpath(os.path.join(directory, relative))
    if os.path.commonpath([root, target]) != root:
        raise RecordError(f"{record_path}: the field {field!r} leads outside the folder.")
    return target


def write_text(path, text):
    """Writes `text` (UTF-8) to `path` atomically, creating parent folders.

    The text goes to a temporary file in the same folder, which is then renamed
    over `path`: readers and a crash see the old file or the new one, whole.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        # mkstemp makes the file private (0600); give it the mode `open` would have.
        os.chmod(temporary, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
