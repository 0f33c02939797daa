"""Model registry: shapes, parameter counts, initialisation."""

import math

import pytest
import torch
from torch import nn

from mnist_lab import models


@pytest.mark.parametrize("name", list(models.MODELS))
def test_output_shape_and_named_layers(name):
    size = models.MODELS[name].input_size
    m = models.build_model(name)
    assert isinstance(m, nn.Sequential)
    assert m(torch.zeros(3, 1, size, size)).shape == (3, 10)
    names = [n for n, _ in m.named_children()]
    assert len(names) == len(set(names)) and not any(n.isdigit() for n in names)


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
    assert models.input_pad("simple_cnn") == 2 and models.input_pad("lenet5") == 0


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


def test_registry_matches_the_torch_free_config():
    from mnist_lab import config

    assert list(models.MODELS) == list(config.INPUT_SIZES)
    assert all(models.MODELS[n].input_size == size for n, size in config.INPUT_SIZES.items())
