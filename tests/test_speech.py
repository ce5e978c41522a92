"""Spoken prompts: espeak-ng in the resident's language, written to WAV and measured with sox;
a speaker that stops when the step changes, stays silent (with a status line) without an
audio device, and never holds up the UI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kiosk import i18n
from kiosk.app import KioskApp
from kiosk.cli import main
from kiosk.config import KioskConfig
from kiosk.speech import CANTONESE, ENGLISH, MANDARIN, PROMPTS, Speaker, audio_device, voice_for
from tests.conftest import tap, wait_until

# Stands in for a sound card on a machine that has none: takes a WAV on stdin and "plays" it
# in real time (reads the header, then sleeps for its duration), as a device would take that
# long to consume it.
PACED_SINK = [
    sys.executable,
    "-c",
    "import sys, time, wave; w = wave.open(sys.stdin.buffer); "
    "time.sleep(w.getnframes() / w.getframerate())",
]
LONG = "请把身份证平放在读卡区，不要移动。读卡完成后请取走身份证，然后点击继续办理。" * 3


def test_voices_follow_the_language_and_the_traditional_variant() -> None:
    assert voice_for("zh-Hans") == MANDARIN == "cmn-latn-pinyin"
    assert voice_for("zh-Hant", "zh-TW") == MANDARIN
    assert voice_for("zh-Hant", "zh-HK") == CANTONESE
    assert voice_for("en") == ENGLISH


def test_audio_device_is_found_or_reported_missing(tmp_path: Path) -> None:
    dev = tmp_path / "snd"
    dev.mkdir()
    assert audio_device({}, str(dev)) == ""
    (dev / "pcmC0D0c").touch()  # capture only: nothing to play on
    assert audio_device({}, str(dev)) == ""
    (dev / "pcmC0D0p").touch()
    assert audio_device({}, str(dev)).startswith("ALSA")
    (tmp_path / "pulse").mkdir()
    (tmp_path / "pulse" / "native").touch()
    assert "pulse" in audio_device({"XDG_RUNTIME_DIR": str(tmp_path)}, "/nonexistent")


def test_no_audio_device_is_silence_and_a_status_line_not_an_error() -> None:
    speaker = Speaker("elder", device="")
    assert not speaker.available
    assert speaker.status == "speech off: no audio device (no /dev/snd playback, no sound server)"
    speaker.say(LONG, "zh-Hans")  # nothing raised, nothing started
    assert not speaker.speaking()
    assert speaker.last == (" ".join(LONG.split()), "zh-Hans")  # 重听 still knows the prompt


def test_prompts_exist_in_every_language() -> None:
    for key, values in PROMPTS.items():
        for language in i18n.LANGUAGES:
            text = i18n.t(key, language, **values)
            assert text != key and "{" not in text, (key, language)


def test_every_prompt_is_written_to_wav_in_three_languages_with_durations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["speech", "wav", str(tmp_path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["prompts"]
    assert {r["language"] for r in rows} == set(i18n.LANGUAGES)
    assert len(rows) == len(PROMPTS) * 3
    for row in rows:
        wav = Path(row["path"])
        assert wav.stat().st_size > 10_000, row
        soxi = subprocess.run(["soxi", "-D", str(wav)], capture_output=True, text=True, check=True)
        assert float(soxi.stdout) == pytest.approx(row["seconds"], abs=0.01)
        assert 0.4 < row["seconds"] < 30, row  # said, and not a runaway
    by = {(r["language"], r["key"]): r["seconds"] for r in rows}
    # The long "printer cannot print" notice takes longer to say than "take your card".
    for language in i18n.LANGUAGES:
        assert by[(language, "submitted.kept")] > by[(language, "idcard.take_card")]


def test_a_new_prompt_stops_the_one_playing() -> None:
    speaker = Speaker("always", device="test sink", player=PACED_SINK)
    assert speaker.available
    speaker.say(LONG, "zh-Hans")
    assert speaker.settle()  # started by the speech thread, not the caller's
    first = list(speaker._procs)
    assert speaker.speaking()
    speaker.say("请取走身份证", "zh-Hans")
    assert speaker.settle()
    assert all(p.poll() is not None for p in first)  # the old prompt is gone
    speaker.stop()
    assert speaker.settle()
    assert not speaker.speaking()
    speaker.close()
    assert not any(t.name == "speech" and t.is_alive() for t in threading.enumerate())


async def test_ui_keeps_responding_while_speech_plays(kiosk_config: KioskConfig) -> None:
    app = KioskApp(kiosk_config, start_services=False)
    app.speaker = Speaker("elder", device="test sink", player=PACED_SINK)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.query("#chrome-elder"))
        assert not app.speaker.speaking()  # normal mode: silent by default
        await tap(pilot, "#chrome-elder")
        await wait_until(pilot, app.speaker.speaking)  # 长辈模式: the home prompt is spoken
        playing = list(app.speaker._procs)
        await tap(pilot, "#chrome-lang-next")  # a tap while it plays (长辈模式: 简体 → 繁體)...
        await wait_until(pilot, lambda: app.language == "zh-Hant")
        # ...was handled before the prompt ended: the switch re-speaks the step in 繁體 and
        # killed the 简体 prompt mid-way (SIGKILL), it had not finished by itself.
        await wait_until(pilot, lambda: [p.returncode for p in playing] == [-9, -9])
        assert app.speaker.last == (app.t("home.hint"), "zh-Hant")
        await wait_until(pilot, lambda: app.speaker.speaking() and app.speaker._procs != playing)
        playing = list(app.speaker._procs)
        app.open_journey("guide")  # the step changes: the home prompt stops, the guide's plays
        await wait_until(pilot, lambda: all(p.returncode == -9 for p in playing))
        await wait_until(pilot, lambda: app.speaker.last[0].startswith(app.t("guide.title")))
        await tap(pilot, "#chrome-elder-top")  # 长辈模式 off: nothing speaks
        await wait_until(pilot, lambda: not app.speaker.speaking())


def test_speech_fonts_and_languages_never_import_textual() -> None:
    probe = (
        "import sys, kiosk.hant, kiosk.resident.service, kiosk.speech, kiosk.display.font;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
