"""The models, by name: everything the app, the CLI and the tests need to know of one, without torch.

A model is added here with one `ModelSpec` and built by the function of the same name in models.py.
What every model keeps to (checked for each entry by tests/test_models.py):
- it is an nn.Sequential of named layers, so pages can walk it in order;
- its last layer is an nn.Linear to the 10 classes, and `feature_layer` is the layer whose output
  feeds it (the penultimate features: neighbours and the digit map);
- `gradcam_layer` is the last convolution with a pooling layer after it (None without one);
- it takes a 28x28 digit, or 32x32 for a model that expects MNIST padded by 2 px;
- its title and description are in the catalog (`model.title.NAME`, `model.desc.NAME`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    name: str
    input_size: int  # 28, or 32 for a model that expects MNIST padded by 2 px
    feature_layer: str
    gradcam_layer: str | None

    @property
    def pad(self) -> int:
        """Zero padding that turns a 28x28 digit into the model's input."""
        return (self.input_size - 28) // 2

    @property
    def title_key(self) -> str:
        return f"model.title.{self.name}"

    @property
    def desc_key(self) -> str:
        return f"model.desc.{self.name}"


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("simple_cnn", 32, feature_layer="relu3", gradcam_layer="conv2"),
        ModelSpec("lenet5", 28, feature_layer="relu6", gradcam_layer="c3"),
        ModelSpec("mlp", 28, feature_layer="relu2", gradcam_layer=None),
        ModelSpec("modern_cnn", 28, feature_layer="dropout", gradcam_layer="conv4"),
    )
}
