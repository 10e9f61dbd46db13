"""`python -m src.summary preset=<name>` matches the published models (issue table), per component."""

import json
import subprocess
import sys

import pytest

from src.summary import summarize

# preset: (sr, hop, n_codebooks, codebook_size, bitrate, encoder, quantizer, decoder + head, total)
PUBLISHED = {
    "dac_16khz": (16000, 320, 12, 1024, 6000, 21_521_536, 319_680, 52_334_690, 74_175_906),
    "dac_24khz": (24000, 320, 32, 1024, 24000, 21_521_536, 852_480, 52_334_690, 74_708_706),
    "dac_44khz": (44100, 512, 9, 1024, 7752, 22_307_968, 239_760, 54_104_162, 76_651_890),
    "encodec_24khz": (24000, 320, 32, 1024, 24000, 7_425_792, 0, 7_426_018, 14_851_810),
    "bigcodec": (16000, 200, 1, 8192, 1040, 76_530_704, 83_984, 82_821_602, 159_436_290),
    "wavtokenizer_75hz": (24000, 320, 1, 4096, 900, 8_802_816, 0, 61_961_472 + 985_858, 71_750_146),
    "wavtokenizer_40hz": (24000, 600, 1, 4096, 480, 8_303_104, 0, 61_961_472 + 1_847_138, 72_111_714),
    "oobleck": (44100, 2048, 0, None, None, 77_989_888, 0, 78_122_626, 156_112_514),
    "vocos": (24000, 256, 0, None, None, 0, 0, 13_005_312 + 526_338, 13_531_650),
}


@pytest.mark.parametrize("preset", sorted(PUBLISHED))
def test_preset_matches_published(preset):
    sr, hop, n_q, size, bitrate, enc, quant, dec_head, total = PUBLISHED[preset]
    s = summarize([f"preset={preset}"])
    assert (s["sample_rate"], s["hop_length"], s["n_codebooks"], s["codebook_size"]) == (sr, hop, n_q, size)
    assert s["frame_rate"] == pytest.approx(sr / hop)
    if bitrate is None:
        assert s["bitrate_bps"] is None
    else:
        assert round(s["bitrate_bps"]) == bitrate
    p = s["params"]
    assert (p["encoder"], p["quantizer"], p["decoder"] + p["head"], p["total"]) == (enc, quant, dec_head, total)


def test_discriminator_sets_match_published():
    dac = summarize(["preset=dac_44khz"])["discriminators"]
    assert sum(dac.values()) == 42_519_760  # DAC: MPD + multi-band multi-resolution
    big = summarize(["preset=bigcodec"])["discriminators"]
    assert (big["mpd"], big["msstft"]) == (10_284_730, 11_311_210)


def test_json_format_cli_has_the_documented_keys(repo_root):
    out = subprocess.run(
        [sys.executable, "-m", "src.summary", "preset=tiny", "format=json"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    s = json.loads(out.strip().splitlines()[-1])
    assert set(s) == {
        "sample_rate",
        "hop_length",
        "frame_rate",
        "n_codebooks",
        "codebook_size",
        "bitrate_bps",
        "params",
        "discriminators",
    }
    assert set(s["params"]) == {"encoder", "quantizer", "decoder", "head", "total"}
    assert s["params"]["total"] == sum(v for k, v in s["params"].items() if k != "total")


def readme_preset_rows(repo_root) -> dict[str, list[str]]:
    """experiments/README.md's preset table: name -> [sr, hop, fps, codebooks, bps, enc, quant, dec+head, total]."""
    rows = {}
    for line in (repo_root / "experiments" / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 11 and cells[0].startswith("`") and cells[1].isdigit():
            rows[cells[0].strip("`")] = cells[1:10]
    return rows


def as_int(cell: str) -> int:
    return int(cell.replace(",", ""))


def test_experiments_readme_preset_table_is_current(repo_root):
    rows = readme_preset_rows(repo_root)
    assert set(PUBLISHED) | {"tiny", "demo", "demo_waveform"} <= set(rows)
    for preset, (sr, hop, *_, enc, quant, dec_head, total) in PUBLISHED.items():
        row = rows[preset]
        assert (as_int(row[0]), as_int(row[1])) == (sr, hop), preset
        assert [as_int(c) for c in row[5:9]] == [enc, quant, dec_head, total], preset
    for preset in ("tiny", "demo", "demo_waveform"):  # not pinned by a paper: compare with the summary itself
        p = summarize([f"preset={preset}"])["params"]
        assert [as_int(c) for c in rows[preset][5:9]] == [
            p["encoder"],
            p["quantizer"],
            p["decoder"] + p["head"],
            p["total"],
        ], preset
