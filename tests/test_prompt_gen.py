"""Prompt generation with the real espeak-ng and sox, on a few prompts of two languages."""

from __future__ import annotations

import array
import dataclasses
import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from lifeline_pbx import prompts
from lifeline_pbx.prompts import synthesis as prompt_gen
from lifeline_pbx.prompts import tones
from lifeline_pbx.prompts.synthesis import PromptGenerationError, generate

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in prompt_gen.TOOLS), reason="needs espeak-ng and sox"
)

LANGUAGES = ("en", "cmn")
ONLY = ("greeting", "triage-2", "queue-wait-1")
EXPECTED = {f"{code}/{name}.wav" for code in LANGUAGES for name in ONLY} | {prompt_gen.MOH_FILE}


@pytest.fixture(scope="module")
def catalogue() -> dict[str, prompts.Language]:
    return prompts.load_catalogue(languages=LANGUAGES)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, catalogue: prompts.Catalogue) -> Path:
    """One real run, shared read-only; tests that change files work on a copy (`out`)."""
    first = tmp_path_factory.mktemp("prompts")
    assert generate(first, catalogue=catalogue, only=ONLY) == len(EXPECTED)
    return first


@pytest.fixture
def out(tmp_path: Path, generated: Path) -> Path:
    copy = tmp_path / "prompts"
    shutil.copytree(generated, copy)
    return copy


def _files(out: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(out)): path.read_bytes()
        for path in out.glob("*/*.wav")
        if not path.parent.name.startswith(".") and path.parent.name != tones.LANGUAGE
    }


def _edited(catalogue: prompts.Catalogue, code: str, name: str, text: str) -> prompts.Catalogue:
    language = catalogue[code]
    texts = {**language.texts, name: text}
    return {**catalogue, code: dataclasses.replace(language, texts=texts)}


def _tone(path: Path) -> None:
    """What an admin's own recording stands in for: any valid 8 kHz WAV."""
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "synth", "1", "sine", "300"],
        check=True,
    )


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_files_are_8khz_mono_16bit_and_not_silent(generated: Path, relative: str) -> None:
    with wave.open(str(generated / relative)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        seconds = wav.getnframes() / wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    assert seconds > 0.8
    assert max(abs(sample) for sample in samples) > 1000


def test_only_the_chosen_prompts_and_the_music_on_hold_are_made(generated: Path) -> None:
    assert set(_files(generated)) == EXPECTED
    assert set(prompt_gen.load_manifest(generated)) == EXPECTED


def test_music_on_hold_is_about_30_seconds(generated: Path) -> None:
    moh = generated / prompt_gen.MOH_FILE
    info = subprocess.run(["sox", "--i", str(moh)], capture_output=True, text=True, check=True)
    assert "Sample Rate    : 8000" in info.stdout and "Channels       : 1" in info.stdout
    with wave.open(str(moh)) as wav:
        assert 28 <= wav.getnframes() / wav.getframerate() <= 32


def test_a_rerun_generates_nothing(out: Path, catalogue: prompts.Catalogue) -> None:
    before = _files(out)
    assert generate(out, catalogue=catalogue, only=ONLY) == 0
    assert _files(out) == before


def test_an_edited_text_regenerates_just_that_file(out: Path, catalogue: prompts.Catalogue) -> None:
    before = _files(out)
    edited = _edited(catalogue, "en", "greeting", "Welcome to the test hotline.")
    assert generate(out, catalogue=edited, only=ONLY) == 1
    after = _files(out)
    assert {name for name in after if after[name] != before[name]} == {"en/greeting.wav"}
    assert generate(out, catalogue=edited, only=ONLY) == 0


def test_a_hand_replaced_file_is_kept(out: Path, catalogue: prompts.Catalogue) -> None:
    _tone(out / "en" / "greeting.wav")
    recording = (out / "en" / "greeting.wav").read_bytes()
    edited = _edited(catalogue, "en", "greeting", "Welcome to the test hotline.")
    assert generate(out, catalogue=edited, only=ONLY) == 0
    assert generate(out, catalogue=edited, only=ONLY, force=True) == len(EXPECTED) - 1
    assert (out / "en" / "greeting.wav").read_bytes() == recording


def test_a_recording_placed_before_the_first_run_is_kept(
    tmp_path: Path, catalogue: prompts.Catalogue
) -> None:
    (tmp_path / "en").mkdir()
    _tone(tmp_path / "en" / "greeting.wav")
    recording = (tmp_path / "en" / "greeting.wav").read_bytes()
    assert generate(tmp_path, catalogue=catalogue, only=ONLY) == len(EXPECTED) - 1
    assert (tmp_path / "en" / "greeting.wav").read_bytes() == recording


def test_a_deleted_file_is_generated_again(out: Path, catalogue: prompts.Catalogue) -> None:
    (out / "cmn" / "triage-2.wav").unlink()
    assert generate(out, catalogue=catalogue, only=ONLY) == 1
    assert (out / "cmn" / "triage-2.wav").exists()


def test_languages_narrow_the_catalogue(tmp_path: Path, catalogue: prompts.Catalogue) -> None:
    assert generate(tmp_path, ["cmn"], catalogue=catalogue, only=["greeting"]) == 2
    assert set(_files(tmp_path)) == {"cmn/greeting.wav", prompt_gen.MOH_FILE}


def test_unknown_prompt_names_are_refused(tmp_path: Path, catalogue: prompts.Catalogue) -> None:
    with pytest.raises(prompts.PromptCatalogueError, match="greting"):
        generate(tmp_path, catalogue=catalogue, only=["greting"])


def test_missing_tools_name_the_packages(
    tmp_path: Path, catalogue: prompts.Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PromptGenerationError, match="apt-get install espeak-ng sox"):
        generate(tmp_path, catalogue=catalogue, only=ONLY)


def test_main_generates_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert prompt_gen.main([str(tmp_path), "en", "--only", "goodbye"]) == 0
    assert "2 files written" in capsys.readouterr().out
    assert prompt_gen.main([str(tmp_path), "en", "--only", "goodbye"]) == 0
    assert "0 files written" in capsys.readouterr().out


def test_signal_tones_are_written_once_and_kept(tmp_path: Path) -> None:
    assert tones.write(tmp_path) == len(tones.TONES)
    beep = tmp_path / tones.LANGUAGE / "beep.wav"
    with wave.open(str(beep)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
    beep.write_bytes(b"an admin's own recording")
    assert tones.write(tmp_path) == 0
    assert beep.read_bytes() == b"an admin's own recording"
