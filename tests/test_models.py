"""The model registry: every entry keeps the contract (registry.py), and the builders' details."""

import math

import pytest
import torch
from torch import nn

from mnist_lab import i18n, models
from mnist_lab.registry import MODELS


@pytest.mark.parametrize("name", list(MODELS))
def test_every_registered_model_keeps_the_contract(name):
    """What explain, layers, projection and export rely on, for each entry: add a model to the registry
    and this checks it (and every test parametrised over MODELS exercises it)."""
    spec = MODELS[name]
    assert spec.input_size in (28, 32) and spec.pad == (spec.input_size - 28) // 2
    m = models.build_model(name).eval()
    assert isinstance(m, nn.Sequential)
    assert m(torch.zeros(3, 1, spec.input_size, spec.input_size)).shape == (3, 10)
    children = list(m.named_children())
    names = [n for n, _ in children]
    assert len(names) == len(set(names)) and not any(n.isdigit() for n in names)
    last = children[-1][1]
    assert isinstance(last, nn.Linear) and last.out_features == 10
    assert names[-2] == spec.feature_layer  # its output is what the last Linear reads
    # Grad-CAM's usual place: the last convolution with a pooling layer somewhere after it
    pools = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)
    convs = [
        n
        for i, (n, layer) in enumerate(children)
        if isinstance(layer, nn.Conv2d) and any(isinstance(later, pools) for _, later in children[i + 1 :])
    ]
    assert spec.gradcam_layer == (convs[-1] if convs else None)
    for lang in i18n.LANGUAGES:
        assert i18n.translator(lang)(spec.title_key) != spec.title_key
        assert i18n.translator(lang)(spec.desc_key) != spec.desc_key


def test_parameter_counts():
    assert models.count_params(models.lenet5()) == 61706
    # seed 000: conv 1*20*25+20, conv 20*10*25+10, dense 250*20+20, dense 20*10+10
    assert models.count_params(models.simple_cnn()) == 520 + 5010 + 5020 + 210
    assert models.count_params(models.modern_cnn()) * 4 < 2_000_000


def test_simple_cnn_init_is_glorot_uniform_gain_sqrt2():
    torch.manual_seed(0)
    m = models.simple_cnn()
    w = m.conv1.weight
    bound = math.sqrt(2) * math.sqrt(6 / (1 * 25 + 20 * 25))
    assert w.abs().max() <= bound and w.abs().max() > 0.9 * bound
    assert all(
        float(layer.bias.detach().abs().sum()) == 0 for layer in m if hasattr(layer, "bias") and layer.bias is not None
    )


def test_summary_rows():
    rows = models.summary("simple_cnn")
    assert [r["layer"] for r in rows][:3] == ["conv1", "relu1", "pool1"]
    assert rows[0]["output_shape"] == (20, 28, 28)
    assert rows[5]["output_shape"] == (10, 5, 5)
    assert sum(r["params"] for r in rows) == models.count_params(models.simple_cnn())
    lenet = models.summary("lenet5")
    assert lenet[0]["output_shape"] == (6, 28, 28) and lenet[-1]["output_shape"] == (10,)


def test_unknown_model_and_padding():
    with pytest.raises(ValueError, match="unknown model"):
        models.build_model("resnet152")
    assert MODELS["simple_cnn"].pad == 2 and MODELS["lenet5"].pad == 0


def test_eval_mode_restores_the_mode_it_found():
    model = models.build_model("modern_cnn")
    for was_training in (True, False):
        model.train(was_training)
        with models.eval_mode(model):
            assert not model.training and not model.bn1.training
        assert model.training == was_training and model.bn1.training == was_training
    model.train()
    with pytest.raises(RuntimeError), models.eval_mode(model):
        raise RuntimeError("a failure inside the block")
    assert model.training  # restored even so
