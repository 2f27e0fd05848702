"""Models: one VGG16 spec, exact parameter counts, any input size, weight copying checked independently."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from blurlib.errors import BlurlibError
from blurlib.models import CONFIGS, MODELS, VGG16, build, conv_names, count_parameters, upsample
from blurlib.weights import hed_path, init_model, read_keras_h5, source_state, torchvision_conv_index

VGG16_CONV_PARAMS = 14_714_688  # conv1_1 … conv5_3 of torchvision's vgg16 (features)
STAGE_CHANNELS = {"I": 64, "II": 128, "III": 256, "IV": 512, "V": 512}


def test_config_v_is_vgg16_convs_plus_a_513_parameter_head():
    assert count_parameters(build("V")) == VGG16_CONV_PARAMS + 513


@pytest.mark.parametrize("name", list(CONFIGS))
def test_configs_are_cut_points(name):
    net = build(name)
    n_convs = len(net.trunk.convs())
    assert n_convs + 1 == {"I": 3, "II": 5, "III": 8, "IV": 11, "V": 14}[name]  # Table I weight layers
    assert list(net.trunk.convs()) == conv_names(CONFIGS[name])
    last = net.trunk.stages[-1]
    assert not isinstance(list(last.children())[-1], torch.nn.MaxPool2d)  # the pool after the cut is dropped
    assert count_parameters(net.score) == STAGE_CHANNELS[name] + 1


def test_configs_match_torchvision_vgg16_layers():
    from torchvision.models import vgg16
    tv = [m for m in vgg16().features if isinstance(m, torch.nn.Conv2d)]
    ours = list(build("V").trunk.convs().values())
    assert [m.weight.shape for m in ours] == [m.weight.shape for m in tv]


def test_torchvision_conv_indices_are_derived_from_the_spec():
    from torchvision.models.vgg import cfgs, make_layers

    features = make_layers(cfgs["D"])  # torchvision's VGG16 layer list, built from its own cfg
    index = torchvision_conv_index()
    assert list(index) == conv_names()
    assert [i for i, m in enumerate(features) if isinstance(m, torch.nn.Conv2d)] == list(index.values())
    assert all(features[i].out_channels == c for i, c in zip(index.values(), (c for s in VGG16 for c in s)))


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("size", [(33, 47), (64, 64), (17, 96)])
def test_output_has_exactly_the_input_size(name, size):
    net = build(name).eval()
    with torch.no_grad():
        out = net(torch.zeros(1, 3, *size))
    assert out.shape == (1, 1, *size)


def test_fusion_models_have_readable_weights_and_deep_supervision():
    net = build("fusion_ds")
    assert net.deep_supervision and not build("fusion").deep_supervision
    assert net.fusion_weights == pytest.approx([0.2] * 5)
    fused, sides = net(torch.zeros(1, 3, 32, 32), return_sides=True)
    assert len(sides) == 5 and all(s.shape == fused.shape for s in sides)


def test_fcn8s_scores_pool3_pool4_and_conv5_3_of_the_trunk():
    torch.manual_seed(0)
    net = build("fcn8s").eval()
    for m in (net.score_pool3, net.score_pool4):
        torch.nn.init.normal_(m.weight)
    x = torch.randn(1, 3, 45, 37)
    with torch.no_grad():
        c3, c4, c5 = net.trunk(x)[2:]
        pool3, pool4 = (torch.nn.functional.max_pool2d(c, 2, 2, ceil_mode=True) for c in (c3, c4))
        s8 = upsample(net.score(c5) + net.score_pool4(pool4), pool3.shape[-2:]) + net.score_pool3(pool3)
        assert torch.allclose(net(x), upsample(s8, x.shape[-2:]), atol=1e-5)
    assert [m.in_channels for m in (net.score_pool3, net.score_pool4, net.score)] == [s[-1] for s in VGG16[2:]]


def test_unet_starts_as_config_v_and_its_correction_reaches_full_resolution():
    torch.manual_seed(0)
    unet, v = build("unet").eval(), build("V").eval()
    v.trunk.load_state_dict(unet.trunk.state_dict())
    v.score.load_state_dict(unet.score.state_dict())
    x = torch.randn(1, 3, 40, 52)
    with torch.no_grad():
        assert torch.equal(unet(x), v(x))  # zero correction at start: training starts from config V
        refined, (coarse,) = unet(x, return_sides=True)
        assert torch.equal(refined, coarse) and unet.deep_supervision
        torch.nn.init.normal_(unet.correction.weight)
        delta = unet(x) - v(x)
    # the correction varies at the pixel scale, which config V's 1/16-resolution head cannot
    assert delta.abs().max() > 0 and (delta[..., 1:] - delta[..., :-1]).abs().max() > 1e-3
    assert [m.in_channels for m in unet.lateral] == [s[-1] for s in VGG16]


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match="unknown model"):
        build("VI")


# -- weights ------------------------------------------------------------------------------------------------------

def test_hed_file_is_checksummed_and_converted():
    state = read_keras_h5(hed_path())
    assert state["conv1_1.weight"].shape == (64, 3, 3, 3)
    assert state["conv5_3.weight"].shape == (512, 512, 3, 3)
    assert state["side5.weight"].shape == (1, 512, 1, 1) and state["fuse.weight"].shape == (1, 5, 1, 1)
    net = build("V")
    report = init_model(net, "hed")
    assert report["copied"] == conv_names(5)
    assert torch.equal(net.trunk.convs()["conv3_2"].weight, state["conv3_2.weight"])


def _numpy_hed(h5, x_bgr):
    """A straightforward numpy/scipy HED forward of the Keras arrays (H, W, in, out), on one (H, W, 3) image."""
    import h5py
    f = h5py.File(h5, "r")

    def conv(x, w, b):  # 'same' cross-correlation as one matrix product over shifted copies (im2col)
        k = w.shape[0] // 2
        xp = np.pad(x, ((k, k), (k, k), (0, 0)))
        cols = np.concatenate([xp[i:i + x.shape[0], j:j + x.shape[1]] for i in range(w.shape[0])
                               for j in range(w.shape[1])], axis=-1)
        return cols @ w.reshape(-1, w.shape[3]) + b

    def pool(x):  # 2x2 stride 2, 'same' (ceil)
        h, w = -(-x.shape[0] // 2) * 2, -(-x.shape[1] // 2) * 2
        xp = np.full((h, w, x.shape[2]), -np.inf)
        xp[:x.shape[0], :x.shape[1]] = x
        return xp.reshape(h // 2, 2, w // 2, 2, -1).max(axis=(1, 3))

    def resize(s, h, w):  # bilinear, half-pixel centres (tf.image.resize)
        return torch.nn.functional.interpolate(torch.from_numpy(s)[None, None], size=(h, w), mode="bilinear",
                                               align_corners=False)[0, 0].numpy()

    h, w = x_bgr.shape[:2]
    sides, x = [], x_bgr
    for s in range(1, 6):
        if s > 1:
            x = pool(x)
        layers = f[f"block{s}/layers"]
        for key in sorted((k for k in layers if k.startswith("conv2d")), key=lambda k: int(k[7:] or 0)):
            x = np.maximum(conv(x, layers[key]["vars/0"][()], layers[key]["vars/1"][()]), 0)
        side = conv(x, f[f"dsn{s}/vars/0"][()], f[f"dsn{s}/vars/1"][()])[..., 0]
        sides.append(resize(side.astype(np.float32), h, w))
    fw, fb = f["fuse/vars/0"][()][0, 0, :, 0], f["fuse/vars/1"][()][0]
    fused = sum(wi * si for wi, si in zip(fw, sides)) + fb
    return 1 / (1 + np.exp(-fused))


@pytest.mark.slow
def test_converted_fusion_ds_reproduces_hed_edges_of_the_h5_arrays():
    rng = np.random.default_rng(0)
    x = rng.uniform(-120, 130, (18, 22, 3)).astype(np.float64)
    net = build("fusion_ds").eval()
    init_model(net, "hed")
    with torch.no_grad():
        ours = torch.sigmoid(net(torch.from_numpy(x).permute(2, 0, 1)[None].float()))[0, 0].numpy()
    ref = _numpy_hed(hed_path(), x)
    assert np.abs(ours - ref).max() < 1e-4
    assert ref.std() > 1e-3  # the comparison is not between two constants


def test_init_from_a_wrong_file_is_refused(tmp_path):
    torch.save({"conv1_1.weight": torch.zeros(3, 3, 3, 3), "conv1_1.bias": torch.zeros(3)}, tmp_path / "w.pth")
    with pytest.raises(BlurlibError, match="shape"):
        init_model(build("I"), tmp_path / "w.pth")
    with pytest.raises(BlurlibError, match="not found"):
        source_state(tmp_path / "absent.pth")


def test_scratch_init_is_seeded():
    a, b = build("II"), build("II")
    init_model(a, "scratch", seed=3)
    init_model(b, "scratch", seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.trunk.parameters(), b.trunk.parameters()))


def test_imagenet_offline_says_where_to_put_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    import torchvision.models as tvm

    def offline(*a, **k):
        raise OSError("network unreachable")
    monkeypatch.setattr(tvm.VGG16_Weights.IMAGENET1K_V1.__class__, "get_state_dict", offline)
    with pytest.raises(BlurlibError, match=r"not available offline.*Put vgg16-397923af.pth .* at"):
        init_model(build("I"), "imagenet")


def test_imagenet_weights_from_cache_are_hash_checked_and_mapped(tmp_path, monkeypatch):
    from torchvision.models import vgg16
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    torch.save(vgg16().state_dict(), tmp_path / "hub" / "checkpoints" / "vgg16-397923af.pth")
    with pytest.raises(BlurlibError, match="sha256"):  # a random net is not the published file
        init_model(build("I"), "imagenet")


@pytest.mark.parametrize("sizes", [((24, 24), (384, 384)), ((7, 5), (23, 37)), ((3, 3), (3, 8))])
def test_deterministic_bilinear_has_torchs_values_and_gradient(sizes):
    """The CUDA training path's upsampling (checked here on CPU): same values bit for bit, same gradient to fp32
    rounding, computed as matrix products instead of torch's atomic-add backward."""
    from blurlib.models import DeterministicBilinear

    (h, w), size = sizes
    x = torch.randn(2, 3, h, w, generator=torch.Generator().manual_seed(0), requires_grad=True)
    ours = x.detach().clone().requires_grad_()
    y, y_ours = torch.nn.functional.interpolate(x, size=size, mode="bilinear"), DeterministicBilinear.apply(ours, size)
    assert torch.equal(y, y_ours)
    g = torch.randn_like(y)
    y.backward(g)
    y_ours.backward(g)
    torch.testing.assert_close(ours.grad, x.grad, rtol=1e-5, atol=1e-4)
