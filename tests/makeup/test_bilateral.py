"""The bilateral-grid StarGAN head: identity at initialisation, an edit sliced at any resolution, and a change
that follows the photo's structure (flat regions get a flat change: nothing to smear)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from genstudio.stargan.bilateral import BilateralGenerator, apply_affine, luma, slice_grid


def test_starts_as_the_identity_at_any_size():
    g = BilateralGenerator(c_dim=7, conv_dim=8, repeat_num=1)
    x = torch.rand(2, 3, 48, 48) * 2 - 1
    c = torch.randint(0, 2, (2, 7)).float()
    assert torch.allclose(g(x, c), x, atol=1e-6)
    full = torch.rand(2, 3, 96, 96) * 2 - 1
    assert torch.allclose(g.edit(x, c, full), full, atol=1e-6)


def test_slicing_reads_the_grid_by_position_and_brightness():
    grid = torch.zeros(1, 12, 2, 1, 1)
    grid[0, 9, 1] = 0.5  # red offset +0.5 for bright pixels only (luma bin 1), none for dark ones (bin 0)
    img = torch.full((1, 3, 2, 2), -1.0)
    img[:, :, 0, 0] = 1.0  # one white pixel, three black
    out = apply_affine(slice_grid(grid, luma(img)), img)
    assert torch.isclose(out[0, 0, 0, 0], torch.tensor(1.5)) and torch.allclose(out[0, 0, 1, 1], torch.tensor(-1.0))


def test_a_flat_region_gets_a_flat_change():
    """Whatever the (random) grid, a region of one colour gets a change interpolated between grid cells 4 px
    apart: its pixel-to-pixel variation is a fraction of its size (an independent per-pixel change, what a
    pixel generator can paint, varies by more than its own size: ~1.1×)."""
    torch.manual_seed(0)
    g = BilateralGenerator(c_dim=7, conv_dim=8, repeat_num=1)
    torch.nn.init.normal_(g.coeffs.weight, std=0.05)
    x = torch.zeros(1, 3, 64, 64)
    x[:, 0] = 0.3  # one flat colour
    change = g(x, torch.ones(1, 7)) - x
    tv = (change[..., 1:, :] - change[..., :-1, :]).abs().mean() + (change[..., 1:] - change[..., :-1]).abs().mean()
    assert change.abs().mean() > 1e-3 and tv < 0.5 * change.abs().mean()
    # and slicing at 4x the size gives the same edit, only smoother (no upsampling of pixels)
    big = F.interpolate(x, scale_factor=4)
    pooled = F.avg_pool2d(g.edit(x, torch.ones(1, 7), big), 4)
    assert (pooled - g(x, torch.ones(1, 7))).abs().mean() < 0.15 * change.abs().mean()


# -- in the photo pipeline: weights with `head: bilateral` slice their grid at the crop's own resolution --------


def _bilateral_editor(tmp_path, monkeypatch, coeff_std: float = 0.0):
    from genstudio.stargan.editor import StarGanEditor

    from .conftest import write_tiny_bilateral

    write_tiny_bilateral(tmp_path, "makeup-bilateral", coeff_std)
    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tmp_path))
    return StarGanEditor.from_weights("makeup-bilateral")


def test_from_weights_builds_the_bilateral_generator(tmp_path, monkeypatch):
    editor = _bilateral_editor(tmp_path, monkeypatch)
    assert isinstance(editor.g, BilateralGenerator) and editor.bilateral
    assert editor.g.luma_bins == 4 and editor.size == 32


def test_identity_grid_changes_nothing_in_a_photo(tmp_path, monkeypatch, astronaut):
    import numpy as np

    from genstudio.stargan.editor import Request
    from genstudio.stargan.photo import crop_change, crop_tensor, edit_face, find_faces

    editor = _bilateral_editor(tmp_path, monkeypatch)
    face = find_faces(astronaut)[0]
    for request in (Request(set={"Young": 0.0}), Request(hair="Brown_Hair"), Request(hair="Blond_Hair")):
        edit = edit_face(editor, astronaut, face, request, 1.0)
        assert np.array_equal(edit.image, astronaut)
    x, _, alignment = crop_tensor(astronaut, face, editor.size)
    crop = alignment.crop(astronaut, 200)
    change = crop_change(editor, crop, x, torch.zeros(1, 7), Request(set={"Male": 1.0}), 1.0)
    assert change.shape == (200, 200, 3) and np.abs(change).max() == 0


def test_the_change_is_sliced_at_the_crops_own_resolution(tmp_path, monkeypatch):
    """A crop with one-pixel stripes: the sliced change follows them pixel for pixel (bright and dark columns
    are read from different brightness bins), which no change upsampled from the model's 32 px could do."""
    import numpy as np

    from genstudio.imaging import uint8_to_tensor
    from genstudio.stargan.editor import Request
    from genstudio.stargan.photo import crop_change

    editor = _bilateral_editor(tmp_path, monkeypatch, coeff_std=0.05)
    side = 160
    crop = np.full((side, side, 3), 40, np.uint8)
    crop[:, ::2] = 210  # one-pixel columns, bright and dark
    x = F.interpolate(uint8_to_tensor(crop[None]), size=(32, 32), mode="area")
    c_src = torch.zeros(1, 7)
    request = Request(set={"Male": 1.0, "Young": 1.0})
    change = crop_change(editor, crop, x, c_src, request, 1.0)
    assert change.shape == (side, side, 3)
    c_trg = editor.target_labels(c_src, request)
    want = (editor.g.edit(x, c_trg, uint8_to_tensor(crop[None])) - editor.g.edit(x, c_src, uint8_to_tensor(crop[None])))
    np.testing.assert_allclose(change, want[0].permute(1, 2, 0).numpy() * 127.5, atol=1e-3)
    columns = change[side // 4: 3 * side // 4, side // 4: 3 * side // 4].mean(0)  # [cols, 3]
    stripes = np.abs(np.diff(columns, axis=0)).mean()
    assert stripes > 0.5 and stripes > 0.5 * np.abs(columns).mean()  # alternates column by column
    half = crop_change(editor, crop, x, c_src, request, 0.5)
    np.testing.assert_allclose(half, 0.5 * change, atol=1e-4)


def test_roughness_prices_changes_between_cells_not_between_brightness_levels():
    from genstudio.stargan.bilateral import grid_roughness

    flat = torch.zeros(1, 12, 8, 6, 6)
    flat[:, :, 3] = 0.5  # one brightness level transformed everywhere alike: smooth in space
    assert grid_roughness(flat).item() == 0
    blotch = flat.clone()
    blotch[:, 9, :, 2, 2] = 0.4  # a red offset on one cell: a blotch
    assert grid_roughness(blotch).item() > 0


def test_chroma_spread_prices_blotches_not_an_even_tint():
    from genstudio.faces.recolor import face_ellipse
    from genstudio.stargan.train import chroma_spread

    skin = torch.from_numpy(face_ellipse(32)).float()
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    tint = x + torch.tensor([0.1, 0.0, -0.1]).view(1, 3, 1, 1)  # warmer everywhere: no spread
    small, large = x.clone(), x.clone()
    small[:, 1, 14:20, 10:16] += 0.1  # a green patch on one cheek
    large[:, 1, 14:20, 10:16] += 0.3
    noise = [chroma_spread(x, y, skin).item() for y in (x, tint, small, large)]
    assert noise[0] < 1e-3 and noise[1] < 1e-3 and 1e-3 < noise[2] < noise[3]
    off_face = x.clone()
    off_face[:, 1, :3, :3] += 0.3  # a corner of the crop: not skin
    assert chroma_spread(x, off_face, skin).item() < 1e-3


def test_training_with_roughness_and_chroma_prices_logs_them(tmp_path, monkeypatch):
    from genstudio.training.loop import TrainConfig, Trainer, load_task

    from .test_stargan import DATA_ROOT

    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tmp_path / "weights"))
    monkeypatch.setenv("GENSTUDIO_CACHE", str(tmp_path / "cache"))
    model = {"image_size": 32, "head": "bilateral", "g_conv_dim": 8, "g_repeat_num": 1, "luma_bins": 4,
             "d_conv_dim": 8, "d_repeat_num": 3, "d_max_dim": 64}
    cfg = TrainConfig(family="makeup", name="makeup-smooth", steps=2, batch_size=4, data_root=str(DATA_ROOT),
                      run_dir=str(tmp_path / "run"), checkpoint_every=10, sample_every=10, log_every=1,
                      model=model, data={"limit": 24}, optim={"n_critic": 1},
                      extra={"lambda_smooth": 5.0, "lambda_chroma": 1.0})
    assert Trainer(load_task("makeup"), cfg).train() == 2
    header = (tmp_path / "run" / "log.csv").read_text().splitlines()[0].split(",")
    assert "g_rough" in header and "g_chroma" in header


# -- the shape residual: a half-resolution change beside the grid that can draw, not only recolour ------------


def _with_shape(channels: int, std: float = 0.0) -> BilateralGenerator:
    torch.manual_seed(1)
    g = BilateralGenerator(c_dim=7, conv_dim=8, repeat_num=1, shape_channels=channels)
    if std:
        torch.nn.init.normal_(g.shape[4].weight, std=std)  # the zero-initialised last layer, as if trained
    return g


def test_the_shape_residual_starts_at_zero_so_weights_trained_without_it_load_unchanged():
    import pytest

    from genstudio.stargan.bilateral import SHAPE_PREFIX
    from genstudio.stargan.train import load_resized

    torch.manual_seed(0)
    old = BilateralGenerator(c_dim=7, conv_dim=8, repeat_num=1)
    torch.nn.init.normal_(old.coeffs.weight, std=0.05)
    new = _with_shape(1)
    load_resized(new, old.state_dict(), fresh=SHAPE_PREFIX)
    x, c, full = torch.rand(2, 3, 32, 32) * 2 - 1, torch.ones(2, 7), torch.rand(2, 3, 80, 80) * 2 - 1
    assert (old(x, c) - x).abs().mean() > 1e-3  # the old weights do edit ...
    assert torch.equal(new(x, c), old(x, c)) and torch.equal(new.edit(x, c, full), old.edit(x, c, full))
    state = {k: v for k, v in old.state_dict().items() if k != "coeffs.bias"}
    with pytest.raises(RuntimeError, match="coeffs.bias"):  # only the new part may be missing
        load_resized(_with_shape(1), state, fresh=SHAPE_PREFIX)
    with pytest.raises(ValueError, match="shape_channels"):
        BilateralGenerator(c_dim=7, shape_channels=2)


def test_a_brightness_residual_darkens_or_lightens_without_tint_and_stays_smooth_at_any_size():
    g = _with_shape(1, std=0.2)
    x, c = torch.zeros(1, 3, 32, 32), torch.ones(1, 7)  # mid-grey: nothing clamps
    x += 0.1 * torch.rand(1, 1, 32, 32)  # some structure for the network to read
    full = F.interpolate(x, size=(128, 128), mode="bilinear", align_corners=False)
    change = g.edit(x, c, full) - full
    assert change.abs().mean() > 1e-3
    torch.testing.assert_close(change[:, 0], change[:, 1])
    torch.testing.assert_close(change[:, 1], change[:, 2])
    # drawn at 16×16 (S/2) and upsampled: neighbouring pixels of the 128 px edit differ by a small fraction of it
    tv = (change[..., 1:, :] - change[..., :-1, :]).abs().mean()
    assert tv < 0.1 * change.abs().mean()
    colour = _with_shape(3, std=0.2).edit(x, c, full) - full  # three channels can tint
    assert (colour[:, 0] - colour[:, 1]).abs().mean() > 1e-3


def test_training_a_shape_residual_from_weights_without_one(tmp_path, monkeypatch):
    """--continue-from shipped bilateral weights into a config with shape_channels: the run starts, the residual
    learns (its zero last layer moves), and the exported model loads in the editor and edits photos."""
    from genstudio import weights
    from genstudio.stargan.editor import StarGanEditor
    from genstudio.training.loop import TrainConfig, Trainer, load_task

    from .conftest import write_tiny_bilateral
    from .test_stargan import DATA_ROOT

    monkeypatch.setenv("GENSTUDIO_WEIGHTS", str(tmp_path / "weights"))
    monkeypatch.setenv("GENSTUDIO_CACHE", str(tmp_path / "cache"))
    write_tiny_bilateral(tmp_path / "weights", "makeup-old", coeff_std=0.05)
    model = {"image_size": 32, "head": "bilateral", "g_conv_dim": 8, "g_repeat_num": 1, "luma_bins": 4,
             "d_conv_dim": 8, "d_repeat_num": 3, "d_max_dim": 64, "shape_channels": 1}
    cfg = TrainConfig(family="makeup", name="makeup-shape", steps=3, batch_size=4, data_root=str(DATA_ROOT),
                      run_dir=str(tmp_path / "run"), checkpoint_every=10, sample_every=10, log_every=1,
                      model=model, data={"limit": 24}, optim={"n_critic": 1},
                      extra={"init_from": "makeup-old", "lambda_smooth": 1.0, "lambda_chroma": 1.0})
    assert Trainer(load_task("makeup"), cfg).train() == 3
    loaded = weights.load("makeup-shape")
    assert loaded.config["shape_channels"] == 1 and loaded.tensors["G.shape.4.weight"].abs().max() > 0
    editor = StarGanEditor.from_weights("makeup-shape")
    assert editor.bilateral and editor.g.shape_channels == 1
    x, full = torch.rand(1, 3, 32, 32) * 2 - 1, torch.rand(1, 3, 90, 90) * 2 - 1
    c_src = torch.zeros(1, 7)
    c_trg = c_src.clone()
    c_trg[0, 5] = 1.0
    assert editor.change_at(x, c_src, c_trg, full).shape == (1, 3, 90, 90)
