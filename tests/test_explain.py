"""Why the network answered: Captum maps, the scrambled-weights check, look-alikes, the digit map."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest
import torch

from mnist_lab import explain, i18n, projection, sidefiles
from mnist_lab.checkpoints import ModelMeta
from mnist_lab.models import build_model
from mnist_lab.registry import MODELS
from tests.helpers import assert_ok, goto, optional_import, rerun_until, start, synthetic_digits, texts, wait_until

EXPLAIN, DMAP = "app_pages/9_Explain.py", "app_pages/10_Digit_Map.py"


def _model(name: str, seed: int = 0):
    torch.manual_seed(seed)
    meta = ModelMeta(name, "standardize" if name != "simple_cnn" else "minmax", MODELS[name].pad)
    return build_model(name).eval(), meta


def _seven() -> np.ndarray:
    img = np.zeros((28, 28), np.uint8)
    cv2.line(img, (7, 7), (21, 7), 255, 3)
    cv2.line(img, (21, 7), (12, 23), 255, 3)
    return img


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("method", explain.METHODS)
def test_every_map_is_28x28_for_every_model(name, method):
    model, meta = _model(name)
    if method == "gradcam" and MODELS[name].gradcam_layer is None:
        with pytest.raises(explain.ExplainError, match="no convolution"):
            explain.attribution(model, meta, _seven(), method, 7)
        return
    was = model.training
    a = explain.attribution(model, meta, _seven(), method, 7)
    assert a.map.shape == (28, 28) and a.map.dtype == np.float32 and np.isfinite(a.map).all()
    assert a.target == 7 and a.seconds > 0 and model.training == was
    if method != "occlusion":
        assert (a.map >= 0).all()  # magnitudes, not signs


def test_gradcam_never_hooks_the_model_other_sessions_share(monkeypatch):
    """While Grad-CAM works, a Draw stroke in another session may run the same cached model: no hook of
    Grad-CAM's may sit on it then, and the map is the same as on the model itself."""
    from captum.attr import LayerGradCam

    model, meta = _model("lenet5")
    layer = getattr(model, MODELS["lenet5"].gradcam_layer)
    hooks_seen = []
    real = LayerGradCam.attribute

    def attribute(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        hooks_seen.append(len(layer._forward_hooks) + len(layer._forward_pre_hooks))
        return out

    def counting_forward_hook(self, *args, **kwargs):
        if self is layer:  # (a copy of the model carries this wrapper along, bound to its own layer)
            hooks_seen.append("hooked the shared layer")
        return real_register(self, *args, **kwargs)

    real_register = torch.nn.Module.register_forward_hook
    monkeypatch.setattr(LayerGradCam, "attribute", attribute)
    monkeypatch.setattr(layer, "register_forward_hook", counting_forward_hook.__get__(layer))
    a = explain.attribution(model, meta, _seven(), "gradcam", 7)
    assert hooks_seen == [0] and a.map.shape == (28, 28) and a.map.max() > 0


def test_the_target_class_changes_the_map():
    model, meta = _model("lenet5")
    maps = [explain.attribution(model, meta, _seven(), "smoothgrad", t).map for t in (7, 1)]
    assert not np.allclose(maps[0], maps[1])


def test_a_grey_cover_finds_evidence_where_there_is_no_ink_and_a_black_one_cannot():
    """Black over black background changes nothing: a black baseline is blind to missing ink."""
    model, meta = _model("lenet5", seed=3)
    img = _seven()
    far = cv2.dilate((img > 0).astype(np.uint8), np.ones((11, 11), np.uint8)) == 0  # well away from the ink
    black = explain.attribution(model, meta, img, "occlusion", 7, baseline="black", patch=3).map
    grey = explain.attribution(model, meta, img, "occlusion", 7, baseline="grey", patch=3).map
    assert np.abs(black[far]).max() < 1e-6
    assert np.abs(grey[far]).max() > 1e-4


def test_bad_settings_are_refused():
    model, meta = _model("lenet5")
    for kwargs, message in [
        ({"method": "lime"}, "unknown explanation"),
        ({"target": 12}, "0 to 9"),
        ({"baseline": "white"}, "unknown baseline"),
    ]:
        call = {"method": "occlusion", "target": 7, **kwargs}
        with pytest.raises(explain.ExplainError, match=message):
            explain.attribution(model, meta, _seven(), call.pop("method"), call.pop("target"), **call)


def test_scrambled_weights_and_rank_correlation():
    model, meta = _model("lenet5")
    rnd = explain.scrambled(meta, seed=5)
    assert not torch.equal(rnd.c1.weight, model.c1.weight) and not rnd.training
    a = np.random.default_rng(0).normal(size=(28, 28))
    assert explain.rank_correlation(a, a) == pytest.approx(1.0)
    assert explain.rank_correlation(a, -a) == pytest.approx(1.0)  # magnitudes: a sign flip is the same map
    assert explain.rank_correlation(a, np.zeros_like(a)) == 0.0
    assert abs(explain.rank_correlation(a, np.random.default_rng(1).normal(size=(28, 28)))) < 0.2


def test_the_rank_correlation_and_the_neighbours_agree_with_scipy_and_scikit_learn():
    """The server's own rank correlation and nearest digits (no scipy in the server) give what the reference
    libraries give, ties and all: attribution maps are mostly zeros."""
    from scipy.stats import spearmanr
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(3)
    for _ in range(5):
        a, b = rng.normal(size=(28, 28)), rng.normal(size=(28, 28))
        a[rng.random((28, 28)) < 0.6] = 0  # tied pixels, many
        b[:10] = np.round(b[:10])
        want = spearmanr(np.abs(a).ravel(), np.abs(b).ravel()).statistic
        assert explain.rank_correlation(a, b) == pytest.approx(want, abs=1e-12)
    feats = rng.normal(size=(500, 84)).astype(np.float32)
    ref = NearestNeighbors(n_neighbors=8).fit(feats)
    for q in rng.normal(size=(5, 84)).astype(np.float32):
        want_d, want_i = ref.kneighbors(q[None])
        near, dist = explain.Neighbours(feats).nearest(q)
        assert near.tolist() == want_i[0].tolist() and dist == pytest.approx(want_d[0], rel=1e-5)


@pytest.mark.parametrize(
    "r, said", [(1.0, "same"), (0.71, "same"), (0.7, "partly"), (0.3, "partly"), (0.29, "differs"), (-0.5, "differs")]
)
def test_the_sanity_check_in_one_word(r, said):
    from mnist_lab import i18n

    assert explain.verdict(r) == said and f"explain.check.{said}" in i18n.EN


def test_which_maps_have_a_sign_and_how_many_neighbours_agree():
    assert [m for m in explain.METHODS if explain.signed(m)] == ["occlusion"]
    assert explain.agreeing(np.array([7, 7, 1, 7, 9]), 7) == 3 and explain.agreeing([], 7) == 0


@pytest.mark.parametrize("name", list(MODELS))
def test_features_are_the_penultimate_layer(name):
    model, meta = _model(name)
    width = list(model.children())[-1].in_features  # what the last Linear layer reads
    images, _ = synthetic_digits(30)
    feats = explain.features(model, meta, images, batch_size=7)
    assert feats.shape == (30, width)
    index = explain.Neighbours(feats)
    near, dist = index.nearest(feats[4])
    assert near[0] == 4 and dist[0] == pytest.approx(0, abs=1e-4) and len(near) == 8


def test_projections_are_made_saved_and_found_again(tmp_path):
    model, meta = _model("lenet5")
    meta = ModelMeta("lenet5", "standardize", 0, epoch=2)
    images, labels = synthetic_digits(300)
    ckpt = tmp_path / "checkpoint.pt"
    seen = []
    saved = projection.build(model, meta, images, labels, ["pca", "tsne"], progress=seen.append, n=200)
    assert saved["pca"].shape == saved["tsne"].shape == (200, 2) and len(saved["labels"]) == 200
    assert seen[-1] == 1.0 and seen == sorted(seen)
    projection.save(ckpt, saved)
    assert sidefiles.beside(ckpt, sidefiles.PROJECTIONS).is_file() and projection.load(ckpt, 3) == {}  # another epoch's
    again = projection.load(ckpt, 2)
    np.testing.assert_array_equal(again["tsne"], saved["tsne"])
    feats = explain.features(model, meta, images[:200])
    np.testing.assert_allclose(projection.place("pca", again, None, feats[9]), again["pca"][9], atol=1e-3)
    near = projection.place("tsne", again, feats, feats[9])  # a digit that is on the map lands near itself
    assert np.linalg.norm(near - again["tsne"][9]) < np.ptp(again["tsne"], axis=0).max() / 4
    more = projection.build(model, meta, images, labels, ["pca", "tsne"], saved=again, n=200)
    np.testing.assert_array_equal(more["tsne"], again["tsne"])  # nothing made twice


@pytest.mark.slow
def test_umap_is_made_when_installed(tmp_path):
    optional_import("umap", "umap", "pip install -e '.[umap]'")
    model, meta = _model("lenet5")
    images, labels = synthetic_digits(300)
    saved = projection.build(model, meta, images, labels, ["umap"], n=300)
    assert saved["umap"].shape == (300, 2) and np.isfinite(saved["umap"]).all()


# ---------------------------------------------------------------- the pages


def test_explain_page_shows_maps_checks_and_look_alikes(tiny_mnist, runs_dir, model_run):
    at = start()
    at.session_state["model_choice"] = model_run
    at = goto(at, EXPLAIN)
    assert_ok(at, EXPLAIN)
    assert len(at.get("plotly_chart")) == 7  # the digit, and three maps each beside its scrambled twin
    number = i18n.t("explain.check_help").split("{")[0]  # the rank correlation, in the verdict's tooltip
    assert any(m.proto.help.startswith(number) for m in at.markdown)
    at = rerun_until(at, lambda a: len(a.get("plotly_chart")) == 8)  # the look-alikes, once the index is made
    assert "training digits nearest" in texts(at.markdown)


def test_explain_page_for_a_drawn_digit_and_another_class(tiny_mnist, runs_dir, model_run):
    at = start()
    at.session_state["model_choice"] = model_run
    at.session_state["drawn_digit"] = _seven()
    at.session_state["digit_source"] = "drawn"
    at = goto(at, EXPLAIN)
    assert_ok(at, EXPLAIN)
    assert not at.number_input  # no test index for a drawn digit
    at.get("button_group")[1].set_value(3).run()  # "what makes it a 3?"
    assert not at.exception and "**3**" in texts(at.caption)


def test_explain_page_for_an_mlp_says_why_there_is_no_gradcam(tiny_mnist, runs_dir):
    from mnist_lab import checkpoints, config, runs

    run = runs.RunStore(runs_dir).create(config.make_config("mlp", "fast").to_dict())
    checkpoints.save_checkpoint(run.checkpoint_path(), build_model("mlp"), ModelMeta("mlp", "standardize", 0))
    run.set_status("done")
    at = start()
    at.session_state["model_choice"] = run.run_id
    at = goto(at, EXPLAIN)
    assert_ok(at, EXPLAIN)
    assert "Grad-CAM needs a convolution" in texts(at.info)
    assert len(at.get("plotly_chart")) == 5  # the digit, two maps and their scrambled twins


def test_explain_page_in_korean_and_with_a_deleted_run(tiny_mnist, runs_dir):
    at = start(lang="ko")
    at.session_state["model_choice"] = "20000101-000000-gone-0000"
    at = goto(at, EXPLAIN)
    assert_ok(at, EXPLAIN, "ko")
    assert at.session_state["model_choice"] == "default"  # the shipped model stands in, after a warning


def test_digit_map_page_makes_its_pca_once_then_shows_it(tiny_mnist, runs_dir, model_run):
    at = start()
    at.session_state["model_choice"] = model_run
    at = goto(at, DMAP)
    assert_ok(at, DMAP)
    at = rerun_until(at, lambda a: len(a.get("plotly_chart")) == 1)
    from mnist_lab import runs

    assert sidefiles.beside(runs.RunStore(runs_dir).get(model_run).checkpoint_path(), sidefiles.PROJECTIONS).is_file()
    assert "100 test digits" in texts(at.markdown)
    at.get("button_group")[0].set_value("tsne").run()
    assert "has not been made yet" in texts(at.info) and not at.exception  # made only when asked


def test_digit_map_places_the_drawn_digit_as_a_star(tiny_mnist, runs_dir, model_run):
    at = start()
    at.session_state["model_choice"] = model_run
    at.session_state["drawn_digit"] = _seven()
    at = goto(at, DMAP)
    at = rerun_until(at, lambda a: len(a.get("plotly_chart")) == 1)
    spec = at.get("plotly_chart")[0].proto.spec
    assert '"symbol":"star"' in spec.replace(" ", "") and "your digit" in spec
    assert "Draw a digit on the Draw page" not in texts(at.caption)


def test_digit_map_without_umap_says_how_to_add_it_and_computes_nothing(tiny_mnist, runs_dir, model_run, monkeypatch):
    from mnist_lab import tasks

    monkeypatch.setattr(projection, "unavailable", lambda kind: projection.ProjectionError("error.dmap.no_umap"))
    started = []
    real_start = tasks.start
    monkeypatch.setattr(tasks, "start", lambda key, work: started.append(key) or real_start(key, work))
    at = start()
    at.session_state["model_choice"] = model_run
    at = goto(at, DMAP)
    at = rerun_until(at, lambda a: len(a.get("plotly_chart")) == 1)
    started.clear()
    at.get("button_group")[0].set_value("umap").run()
    assert 'pip install -e ".[umap]"' in texts(at.warning) and not at.exception
    assert not at.button or all("UMAP" not in b.label for b in at.button)  # nothing offered to start
    assert not [k for k in started if "umap" in k]


def test_digit_map_shows_the_saved_tsne_without_the_dataset(tiny_mnist, runs_dir, model_run, monkeypatch):
    """A t-SNE made earlier, then the dataset gone (an offline laptop): the map shows, without a star."""
    at = start()
    at.session_state["model_choice"] = model_run
    at.session_state["drawn_digit"] = _seven()
    at = goto(at, DMAP)
    at = rerun_until(at, lambda a: len(a.get("plotly_chart")) == 1)
    at.get("button_group")[0].set_value("tsne").run()
    at.button(key="dmap_go_tsne").click().run()
    at = rerun_until(at, lambda a: len(a.get("plotly_chart")) == 1)  # the t-SNE, made and saved
    import ui

    monkeypatch.setattr(ui.computed, "dataset_location", lambda name="mnist": None)  # where map_star looks
    at.run()
    assert not at.exception and len(at.get("plotly_chart")) == 1
    assert '"symbol":"star"' not in at.get("plotly_chart")[0].proto.spec.replace(" ", "")


def test_projection_progress_never_goes_back_and_no_tick_follows_its_step():
    """A tick computed on the ticker's thread could arrive after a later one (0.5, then 0.43)."""
    seen = []
    say = projection._Forward(seen.append)
    for f in (0.2, 0.5, 0.43, 0.6, 1.0):
        say(f)
    assert seen == [0.2, 0.5, 0.6, 1.0]
    ticks = []
    ticker = projection._Ticker(lambda: (time.sleep(0.05), ticks.append(time.monotonic())))
    wait_until(lambda: ticks, 30, 0.05, what="a first tick")  # however busy the machine
    ticker.stop()
    stopped = time.monotonic()
    time.sleep(0.6)  # the thing under test: no tick comes in the next tick period (0.5 s) after stop()
    assert ticks and all(t <= stopped for t in ticks)
