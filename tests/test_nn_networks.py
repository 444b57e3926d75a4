"""Shapes, parameter counts, weight tying, spectral norm and argument checks of latentmix.nn."""

import json

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from latentmix.exceptions import InvalidParameterError
from latentmix.nn import (
    ConvSpec,
    DenseSpec,
    TiedDenseDecoder,
    build_decoder,
    build_discriminator,
    build_encoder,
    build_from_config,
    count_parameters,
)

SHAPES = [(1, 28, 28), (3, 32, 32), (1, 8, 8), (13,)]
CASES = [(s, a) for s in SHAPES for a in ("dense", "conv") if len(s) == 3 or a == "dense"]
IDS = [f"{'x'.join(map(str, s))}-{a}" for s, a in CASES]
MNIST = (1, 28, 28)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.mark.parametrize(("shape", "arch"), CASES, ids=IDS)
def test_output_shapes_and_range(shape, arch):
    x = torch.rand(4, *shape)
    enc = build_encoder(shape, 7, arch)
    dec = build_decoder(7, shape, arch)
    disc = build_discriminator(shape, arch)
    z = enc(x)
    assert z.shape == (4, 7)
    xr = dec(z)
    assert xr.shape == (4, *shape)
    assert xr.min() >= 0 and xr.max() <= 1  # sigmoid output
    assert disc(x).shape == (4, 1)
    assert disc.features(x).shape[0] == 4
    assert enc.input_shape == shape and dec.output_shape == shape


@pytest.mark.parametrize(
    ("shape", "flat"), [((1, 28, 28), 64 * 7 * 7), ((3, 32, 32), 128 * 4 * 4), ((1, 8, 8), 64 * 4 * 4)]
)
def test_conv_default_layouts(shape, flat):
    enc = build_encoder(shape, 5, "conv")
    assert enc[:-1](torch.rand(2, *shape)).shape == (2, flat)  # conv features before the Linear
    assert isinstance(enc[-1], nn.Linear) and enc[-1].in_features == flat
    convs = [m for m in enc if isinstance(m, nn.Conv2d)]
    assert [m.stride[0] for m in convs][-1] == 2
    transposed = [m for m in build_decoder(5, shape, "conv") if isinstance(m, nn.ConvTranspose2d)]
    assert len(transposed) == sum(m.stride[0] == 2 for m in convs)


def test_conv_extra_channels_and_too_few():
    enc = build_encoder(MNIST, 4, "conv", hidden=(8, 16, 16))  # one stride-1 conv in front
    dec = build_decoder(4, MNIST, "conv", hidden=(8, 16, 16))
    assert dec(enc(torch.rand(2, *MNIST))).shape == (2, *MNIST)
    with pytest.raises(InvalidParameterError, match="at least 2 channel widths"):
        build_encoder(MNIST, 4, "conv", hidden=(8,))


def test_classic_dense_autoencoder_parameter_count():
    enc = build_encoder(MNIST, 256, "dense", hidden=(), final_activation="sigmoid")
    dec = build_decoder(256, MNIST, "dense", hidden=())
    assert [type(m) for m in enc] == [nn.Flatten, nn.Linear, nn.Sigmoid]
    assert count_parameters(enc) + count_parameters(dec) == 784 * 256 + 256 + 256 * 784 + 784
    assert 0 <= enc(torch.rand(2, *MNIST)).min() and enc(torch.rand(2, *MNIST)).max() <= 1


def test_decoder_mirrors_hidden_widths():
    enc = build_encoder((20,), 3, hidden=(16, 8))
    dec = build_decoder(3, (20,), hidden=(16, 8), output_activation="linear")
    assert [m.out_features for m in enc if isinstance(m, nn.Linear)] == [16, 8, 3]
    assert [m.out_features for m in dec if isinstance(m, nn.Linear)] == [8, 16, 20]


def test_batchnorm_dropout_and_discriminator_first_layer():
    enc = build_encoder(MNIST, 4, "conv", batchnorm=True, dropout=0.3)
    kinds = [type(m) for m in enc]
    assert kinds.count(nn.BatchNorm2d) == 2 and kinds.count(nn.Dropout) == 2
    disc = build_discriminator(MNIST, "conv")  # DCGAN: BatchNorm on all but the first conv
    assert type(disc[1]) is nn.LeakyReLU and sum(isinstance(m, nn.BatchNorm2d) for m in disc) == 1
    dense = build_discriminator(MNIST, "dense", batchnorm=True)
    assert sum(isinstance(m, nn.BatchNorm1d) for m in dense) == 1
    assert not any(isinstance(m, nn.BatchNorm2d) for m in build_discriminator(MNIST, "conv",
                                                                               batchnorm=False))


def test_tied_decoder_shares_weights():
    enc = build_encoder(MNIST, 16, "dense", hidden=(32,))
    dec = build_decoder(16, MNIST, "dense", tied_to=enc)
    assert isinstance(dec, TiedDenseDecoder)
    assert count_parameters(dec) == 32 + 784  # own biases only
    both = nn.ModuleList([enc, dec])
    assert count_parameters(both) == count_parameters(enc) + 32 + 784
    state = dec.state_dict()
    assert all("weight" not in k for k in state)
    enc_ptrs = {t.data_ptr() for t in enc.state_dict().values()}
    assert not enc_ptrs & {t.data_ptr() for t in state.values()}
    x = torch.rand(3, *MNIST)
    assert dec(enc(x)).shape == x.shape
    dec(torch.randn(3, 16)).sum().backward()  # decoder path only
    assert enc[1].weight.grad is not None and enc[1].weight.grad.abs().sum() > 0
    assert enc[3].weight.grad.abs().sum() > 0


def test_tied_decoder_rejects_bad_encoders():
    conv = build_encoder(MNIST, 16, "conv")
    with pytest.raises(InvalidParameterError, match="stack of nn.Linear.*Conv2d"):
        build_decoder(16, MNIST, "dense", tied_to=conv)
    enc = build_encoder(MNIST, 16, "dense")
    with pytest.raises(InvalidParameterError, match="needs an encoder mapping 784 -> 8"):
        build_decoder(8, MNIST, "dense", tied_to=enc)
    with pytest.raises(InvalidParameterError, match="arch='dense'"):
        build_decoder(16, MNIST, "conv", tied_to=enc)
    with pytest.raises(InvalidParameterError, match="hidden widths"):
        build_decoder(16, MNIST, "dense", hidden=(64,), tied_to=enc)


def _structured_images(n, shape):
    """n images (n, *shape) in [0, 1] mixing 4 random patterns: learnable structure."""
    basis = torch.rand(4, *shape)
    weights = torch.softmax(3 * torch.randn(n, 4), dim=1)
    return torch.einsum("nk,k...->n...", weights, basis)


TRAIN_CASES = [  # (shape, arch, loss ratio reached in 30 steps; the deeper 32x32 net is slower)
    (MNIST, "dense", 0.5), (MNIST, "conv", 0.5), ((1, 8, 8), "conv", 0.5), ((3, 32, 32), "conv", 0.8)
]


@pytest.mark.parametrize(("shape", "arch", "ratio"), TRAIN_CASES)
def test_short_training_lowers_reconstruction_loss(shape, arch, ratio):
    x = _structured_images(64, shape)
    enc, dec = build_encoder(shape, 8, arch), build_decoder(8, shape, arch)
    params = [*enc.parameters(), *dec.parameters()]
    opt = torch.optim.Adam(params, lr=3e-3)
    losses = []
    for _ in range(30):
        loss = nn.functional.mse_loss(dec(enc(x)), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < ratio * losses[0]


def test_tied_autoencoder_trains():
    x = _structured_images(64, MNIST)
    enc = build_encoder(MNIST, 8, "dense", hidden=(64,))
    dec = build_decoder(8, MNIST, "dense", tied_to=enc)
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=3e-3)
    first = None
    for _ in range(30):
        loss = nn.functional.mse_loss(dec(enc(x)), x)
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first


@pytest.mark.parametrize("arch", ["dense", "conv"])
def test_spectral_norm_is_applied(arch):
    disc = build_discriminator(MNIST, arch, spectral_norm=True)
    enc = build_encoder(MNIST, 4, arch, spectral_norm=True)
    for net in (disc, enc):
        weighted = [m for m in net.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
        assert weighted and all(parametrize.is_parametrized(m, "weight") for m in weighted)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in disc)  # auto BN off with SN
    assert disc(torch.rand(2, *MNIST)).shape == (2, 1)


def test_dcgan_init_and_probability_output():
    disc = build_discriminator(MNIST, "conv", init="dcgan", output="probability")
    w = disc[0].weight
    assert abs(w.std().item() - 0.02) < 0.005 and disc[0].bias.abs().max() == 0
    p = disc(torch.rand(3, *MNIST))
    assert p.shape == (3, 1) and ((p >= 0) & (p <= 1)).all()


def test_config_round_trip():
    enc = build_encoder(MNIST, 6, "conv", hidden=[16, 32], batchnorm=True)
    config = json.loads(json.dumps(enc.config))
    again = build_from_config(config)
    assert {k: v.shape for k, v in again.state_dict().items()} == {
        k: v.shape for k, v in enc.state_dict().items()
    }
    again.load_state_dict(enc.state_dict())
    dense = build_encoder(MNIST, 6)
    tied = build_decoder(6, MNIST, tied_to=dense)
    with pytest.raises(InvalidParameterError, match="tied_to"):
        build_from_config(tied.config)
    assert isinstance(build_from_config(tied.config, tied_to=dense), TiedDenseDecoder)


def test_specs_splat_into_builders():
    enc = build_encoder(MNIST, 4, "dense", **DenseSpec(hidden=(32, 16), dropout=0.1).as_kwargs())
    assert [m.out_features for m in enc if isinstance(m, nn.Linear)] == [32, 16, 4]
    disc = build_discriminator(MNIST, "conv", **ConvSpec(channels=(8, 16)).as_kwargs())
    assert disc[0].out_channels == 8
    with pytest.raises(InvalidParameterError, match="'dropout' parameter of DenseSpec"):
        DenseSpec(dropout=1.0)


def test_torch_compile_fullgraph():
    enc = build_encoder(MNIST, 8, "dense", hidden=(16,))
    dec = build_decoder(8, MNIST, "dense", tied_to=enc).eval()
    z = torch.randn(2, 8)
    compiled = torch.compile(dec, backend="eager", fullgraph=True)
    torch.testing.assert_close(compiled(z), dec(z))


BAD = [
    (lambda: build_encoder((1, 28), 4), "'input_shape' parameter of build_encoder"),
    (lambda: build_encoder((1, 0, 28, 28), 4), "input_shape"),
    (lambda: build_encoder((1, 28, 28.0), 4), "input_shape"),
    (lambda: build_encoder(MNIST, 0), "'out_features' parameter .* range \\[1, inf\\)"),
    (lambda: build_encoder(MNIST, True), "out_features"),
    (lambda: build_decoder(-1, MNIST), "'latent_dim' parameter"),
    (lambda: build_encoder(MNIST, 4, "mlp"), "'arch' parameter .*'conv', 'dense'"),
    (lambda: build_encoder(MNIST, 4, activation="swish"), "'activation'.*'elu', 'gelu'.*'silu'"),
    (lambda: build_encoder(MNIST, 4, dropout=1.0), "'dropout' parameter .* \\[0, 1\\)"),
    (lambda: build_encoder(MNIST, 4, dropout=-0.1), "dropout"),
    (lambda: build_encoder(MNIST, 4, hidden=(0,)), "'hidden' parameter"),
    (lambda: build_encoder(MNIST, 4, batchnorm="yes"), "'batchnorm' parameter"),
    (lambda: build_decoder(4, MNIST, output_activation="softmax"), "output_activation"),
    (lambda: build_encoder((1, 17, 17), 4, "conv"), "8x8, 28x28, 32x32.*arch='dense'"),
    (lambda: build_encoder((1, 28, 32), 4, "conv"), "square images"),
    (lambda: build_decoder(4, (13,), "conv"), "tabular.*arch='dense'"),
    (lambda: build_discriminator((13,), "conv"), "tabular"),
    (lambda: build_discriminator(MNIST, output="sigmoid"), "'output' parameter"),
    (lambda: build_discriminator(MNIST, init="xavier"), "'init' parameter"),
    (lambda: build_decoder(4, MNIST, tied_to="encoder"), "'tied_to' parameter"),
    (lambda: build_from_config({"kind": "generator"}), "config must be"),
]


@pytest.mark.parametrize(("make", "message"), BAD, ids=range(len(BAD)))
def test_bad_arguments(make, message):
    with pytest.raises(InvalidParameterError, match=message):
        make()
