"""Report figures: which jobs become points, and that the PNGs are written even with no data."""

from PIL import Image

from src.reporting.plots import plot_bitrate_vs_quality, plot_training_curves, quality_points
from src.reporting.runs import read_sweep
from tests.reporting.sweep_factory import eval_metrics, make_job, make_sweep, train_lines


def test_quality_points_skip_failed_and_bitrate_less_jobs(tmp_path):
    sweep = make_sweep(tmp_path)
    make_job(sweep, 4, ["quantizer=vae"], train_lines(1), eval_metrics(2.0, 0.8, 6.0, 0.6, None, None))
    make_job(sweep, 5, ["quantizer=fsq"], train_lines(1), eval_metrics(2.5, 0.8, 6.0, 0.6, 500.0, None))
    points = quality_points(read_sweep(sweep), "pesq_wb")
    assert [(j.name, n, e, v) for j, n, e, v in points] == [
        ("0", 6000.0, 5400.0, 3.1),
        ("1", 600.0, 590.0, 2.4),
        ("5", 500.0, None, 2.5),
    ]
    assert quality_points(read_sweep(sweep), "no_such_metric") == []


def _png_size(path):
    with Image.open(path) as im:
        return im.format, im.size


def test_figures_are_written_with_and_without_data(tmp_path):
    jobs = read_sweep(make_sweep(tmp_path / "s"))
    labels = {j.name: f"#{j.name}" for j in jobs}
    fmt, (w, h) = _png_size(plot_bitrate_vs_quality(jobs, labels, tmp_path / "q.png"))
    assert fmt == "PNG" and w > h > 400  # 2 x 2 panels
    fmt, (w, h) = _png_size(plot_training_curves(jobs, labels, tmp_path / "c.png"))
    assert fmt == "PNG" and w > 2 * h - 200  # 2 panels side by side
    assert _png_size(plot_bitrate_vs_quality([], {}, tmp_path / "e.png"))[0] == "PNG"
    assert _png_size(plot_training_curves([], {}, tmp_path / "e2.png"))[0] == "PNG"
