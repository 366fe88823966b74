"""Turn the prompt catalogue into the WAV files Asterisk plays, and make the music on hold.

    python -m lifeline_pbx.prompts.synthesis OUT_DIR [LANG...] [--only NAME] [--force]

writes `OUT_DIR/<language>/<name>.wav` for every rendered prompt (espeak-ng, then sox to
8 kHz mono 16-bit signed PCM) and `OUT_DIR/moh/calm.wav`, ~30 s of slow sine tones.

Re-runs are cheap and safe. `OUT_DIR/manifest.json` records, for every file this module
wrote, a hash of what it was made from (voice, text, recipe) and a hash of the audio bytes
it wrote. For each file:

- missing on disk: generated (delete a file to get the generated version back);
- on disk, in the manifest, and its bytes still hash to the recorded audio hash: it is ours,
  and is generated again only when its source changed (an edited text) or with force=True;
- on disk but its bytes no longer match the manifest, or not in the manifest at all: an
  admin put a recording there by hand. It is kept, whatever the text or `force` say.

Files are written to a temporary name and renamed into place, so Asterisk never plays half a
file. The manifest is saved every second and when the run ends or fails; a file renamed into
place just before a hard kill (SIGKILL, power loss) may miss its entry, and is then treated as
an admin recording: kept, never lost, and regenerated once deleted.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from lifeline_pbx import prompts
from lifeline_pbx.errors import LifelineError
from lifeline_pbx.prompts import tones

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MANIFEST_SAVE_SECONDS = 1.0
MOH_FILE = "moh/calm.wav"
JOBS = 2
SPEED_WPM = 150
SAMPLE_FORMAT = ("-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer")
NORMALISE = ("norm", "-3")  # every prompt's peak, synthesised or recorded (convert.py)
# The synthesiser's own silence cut from both ends (about 0.4 s each), then a short pause
# put back: a caller waits through every prompt's ends, in a menu four times over.
_TRIM = ("silence", "1", "0.02", "1%")
SPEECH_EFFECTS = (*_TRIM, "reverse", *_TRIM, "reverse", "pad", "0", "0.15", *NORMALISE)
TOOLS = ("espeak-ng", "sox")
# Music on hold: A minor pentatonic in the telephone band, one soft 3 s tone each (30 s).
MOH_NOTES_HZ = (440.0, 523.25, 659.26, 587.33, 523.25, 659.26, 783.99, 659.26, 587.33, 523.25)
MOH_NOTE_EFFECTS = ("fade", "h", "1.2", "3", "1.6", "vol", "0.3")
MOH_EFFECTS = ("reverb", "40", "50", "70", "norm", "-10")
_RECIPE_VERSION = 1


class PromptGenerationError(LifelineError):
    """espeak-ng or sox failed, or is not installed."""


class Action(Enum):
    GENERATE = "generate"
    CURRENT = "current"
    ADMIN = "admin recording, kept"


@dataclass(frozen=True)
class Job:
    """One file to make: a prompt (voice and text), or the music on hold (both None)."""

    path: str
    voice: str | None = None
    text: str | None = None

    @property
    def source(self) -> str:
        """A hash of everything the file is made from; a change means: generate again."""
        recipe = (
            [_RECIPE_VERSION, self.voice, SPEED_WPM, self.text, SAMPLE_FORMAT, SPEECH_EFFECTS]
            if self.text is not None
            else [_RECIPE_VERSION, MOH_NOTES_HZ, MOH_NOTE_EFFECTS, MOH_EFFECTS, SAMPLE_FORMAT]
        )
        return _sha256(json.dumps(recipe, ensure_ascii=False).encode())


def generate(
    out_dir: Path,
    languages: Iterable[str] | None = None,
    *,
    force: bool = False,
    only: Iterable[str] | None = None,
    catalogue: prompts.Catalogue | None = None,
    jobs: int = JOBS,
) -> int:
    """Bring `out_dir` up to date; return how many files were (re)written.

    `languages` limits the languages (default: all of the catalogue), `only` the prompts (base
    names like "triage" or concrete ones like "triage-2"); the music on hold is always made.
    `catalogue` defaults to the shipped prompts/ directory. See the module docstring for which
    files are skipped or kept.
    """
    check_tools()
    chosen = _select(catalogue, languages)
    todo = [*speech_jobs(chosen, only), Job(MOH_FILE)]
    out_dir.mkdir(parents=True, exist_ok=True)
    with locked(out_dir):
        manifest = load_manifest(out_dir)
        planned = [(job, plan(job, out_dir, manifest, force=force)) for job in todo]
        kept = [job.path for job, action in planned if action is Action.ADMIN]
        if kept:
            log.info("kept %d admin recordings: %s", len(kept), ", ".join(kept))
        tones.write(out_dir)  # signal tones: not speech, not in the manifest, not counted
        return _run(
            [job for job, action in planned if action is Action.GENERATE], out_dir, manifest, jobs
        )


def check_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise PromptGenerationError(
            f"{' and '.join(missing)} not found; prompts are made with espeak-ng and sox: "
            "apt-get install espeak-ng sox"
        )


def _select(
    catalogue: prompts.Catalogue | None, languages: Iterable[str] | None
) -> prompts.Catalogue:
    if catalogue is None:
        return prompts.load_catalogue(prompts.PROMPTS_DIR, languages)
    if languages is None:
        return catalogue
    codes = list(languages)
    unknown = sorted(set(codes) - set(catalogue))
    if unknown:
        raise prompts.PromptCatalogueError(f"languages {unknown} not in the catalogue")
    return {code: catalogue[code] for code in codes}


def speech_jobs(catalogue: prompts.Catalogue, only: Iterable[str] | None = None) -> list[Job]:
    """One job per rendered prompt, optionally only those named (base or concrete names)."""
    wanted = None if only is None else set(only)
    if wanted is not None:
        unknown = sorted(wanted - set(prompts.PROMPT_NAMES) - set(prompts.concrete_names()))
        if unknown:
            raise prompts.PromptCatalogueError(f"unknown prompt names {unknown}")
    return [
        Job(f"{code}/{name}.wav", catalogue[code].voice, text)
        for (code, name), text in prompts.rendered_prompts(catalogue).items()
        if wanted is None or name in wanted or prompts.base_name(name) in wanted
    ]


def plan(
    job: Job, out_dir: Path, manifest: Mapping[str, Mapping[str, str]], *, force: bool
) -> Action:
    """What to do with one file, by the rule of the module docstring."""
    target = out_dir / job.path
    if not target.exists():
        return Action.GENERATE
    entry = manifest.get(job.path)
    if entry is None or entry.get("audio") != _sha256(target.read_bytes()):
        return Action.ADMIN
    if force or entry.get("source") != job.source:
        return Action.GENERATE
    return Action.CURRENT


def load_manifest(out_dir: Path) -> dict[str, dict[str, str]]:
    path = out_dir / MANIFEST
    if not path.exists():
        return {}
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
        return {
            str(name): {"source": str(entry["source"]), "audio": str(entry["audio"])}
            for name, entry in files.items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PromptGenerationError(
            f"{path} is damaged ({exc!r}); move it away to start over"
        ) from exc


def save_manifest(out_dir: Path, manifest: Mapping[str, Mapping[str, str]]) -> None:
    path = out_dir / MANIFEST
    partial = path.with_name(path.name + ".tmp")
    body = {"version": 1, "files": dict(sorted(manifest.items()))}
    partial.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _run(todo: Sequence[Job], out_dir: Path, manifest: dict[str, dict[str, str]], jobs: int) -> int:
    if not todo:
        return 0
    with (
        tempfile.TemporaryDirectory(dir=out_dir, prefix=".prompt-gen-") as scratch,
        ThreadPoolExecutor(max_workers=jobs) as pool,
    ):
        futures: dict[Future[Path], Job] = {
            pool.submit(render, job, Path(scratch) / str(index)): job
            for index, job in enumerate(todo)
        }
        saved = time.monotonic()
        try:
            for future in as_completed(futures):
                _install(futures[future], future.result(), out_dir, manifest)
                if time.monotonic() - saved >= MANIFEST_SAVE_SECONDS:
                    save_manifest(out_dir, manifest)
                    saved = time.monotonic()
        finally:
            pool.shutdown(cancel_futures=True)
            save_manifest(out_dir, manifest)
    log.info("generated %d files in %s", len(todo), out_dir)
    return len(todo)


def _install(job: Job, made: Path, out_dir: Path, manifest: dict[str, dict[str, str]]) -> None:
    target = out_dir / job.path
    target.parent.mkdir(parents=True, exist_ok=True)
    audio = _sha256(made.read_bytes())
    os.replace(made, target)
    manifest[job.path] = {"source": job.source, "audio": audio}


def render(job: Job, scratch: Path) -> Path:
    """Make one file under `scratch` (a fresh directory name) and return its path."""
    scratch.mkdir()
    out = scratch / "out.wav"
    if job.voice is not None and job.text is not None:
        speech = scratch / "speech.wav"
        _tool(
            ["espeak-ng", "-v", job.voice, "-s", str(SPEED_WPM), "-w", str(speech), "--stdin"],
            job.text,
        )
        _tool(["sox", str(speech), *SAMPLE_FORMAT, str(out), *SPEECH_EFFECTS])
    else:
        notes = [
            _moh_note(scratch / f"note{index}.wav", hz) for index, hz in enumerate(MOH_NOTES_HZ)
        ]
        _tool(["sox", *map(str, notes), *SAMPLE_FORMAT, str(out), *MOH_EFFECTS])
    return out


def _moh_note(path: Path, hz: float) -> Path:
    """A 3 s tone: the note and its octave, faded in and out."""
    synth = ("synth", "3", "sine", str(hz), "sine", "mix", str(hz * 2))
    _tool(["sox", "-n", *SAMPLE_FORMAT, str(path), *synth, *MOH_NOTE_EFFECTS])
    return path


def _tool(command: list[str], stdin: str | None = None) -> None:
    done = subprocess.run(
        command,
        input=None if stdin is None else stdin.encode(),
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        problem = done.stderr.decode(errors="replace").strip()
        raise PromptGenerationError(
            f"{' '.join(command[:3])}...: exit {done.returncode}: {problem}"
        )


@contextmanager
def locked(out_dir: Path) -> Iterator[None]:
    """One generator per directory at a time (two would fight over the manifest)."""
    with open(out_dir / ".prompt-gen.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lifeline_pbx.prompts.synthesis", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("out_dir", type=Path, help="e.g. /var/lib/lifeline-pbx/prompts")
    parser.add_argument("languages", nargs="*", help=f"default: all of {prompts.LANGUAGES}")
    parser.add_argument("--only", action="append", help="a prompt name (repeatable)")
    parser.add_argument("--force", action="store_true", help="regenerate (admin files kept)")
    parser.add_argument("--jobs", type=int, default=JOBS, help="parallel espeak/sox runs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.monotonic()
    try:
        count = generate(
            args.out_dir, args.languages or None, force=args.force, only=args.only, jobs=args.jobs
        )
    except LifelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{count} files written to {args.out_dir} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
