import numpy as np
import pytest
import torch

from mnist_lab.filters import (
    KERNELS,
    FilterError,
    builtin_pictures,
    compare,
    convolve_true,
    filter_channels,
    filter_cv2,
    filter_torch,
    kernel_from,
    output_shape,
    output_size,
    signed,
    size_formulas,
    sobel,
)


@pytest.mark.parametrize("k,stride,padding", [(3, 1, 0), (3, 2, 1), (5, 2, 2), (3, 3, 0), (4, 1, 1), (2, 2, 0)])
def test_cv2_equals_torch_random_kernels(k, stride, padding):
    rng = np.random.default_rng(k * 10 + stride + padding)
    img = rng.random((17, 23), dtype=np.float32)
    kernel = rng.normal(size=(k, k)).astype(np.float32)
    a = filter_cv2(img, kernel, stride, padding)
    b = filter_torch(img, kernel, stride, padding)
    assert a.shape == b.shape == (output_size(17, k, stride, padding), output_size(23, k, stride, padding))
    np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_named_kernels_agree(name):
    img = builtin_pictures(64)["shapes"].astype(np.float32) / 255
    np.testing.assert_allclose(filter_cv2(img, KERNELS[name], 1, 1), filter_torch(img, KERNELS[name], 1, 1), atol=1e-5)


def test_output_size_matches_torch():
    for n, k, s, p in [(28, 5, 1, 0), (28, 3, 2, 1), (32, 5, 1, 2), (7, 7, 1, 0), (10, 3, 3, 0)]:
        out = torch.nn.functional.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p)
        assert out.shape[-1] == output_size(n, k, s, p)
    assert output_size(28, 5) == 24 and output_size(28, 3, 2, 1) == 14
    with pytest.raises(ValueError):
        output_size(2, 5)
    with pytest.raises(ValueError):
        output_size(10, 3, stride=0)


def test_sobel_hand_computed():
    img = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]], dtype=np.float32)
    valid = filter_cv2(img, KERNELS["sobel_x"])
    # each output row: (10-0) + 2*(10-0) + (10-0) = 40 for the window over the step, 0 on the flat right side
    assert valid.tolist() == [[40.0, 40.0]]
    gx, gy, mag = sobel(img)
    assert gx.shape == img.shape
    # edge padding: row 1, column 1 sees columns 0..2 -> (10 - 0) * (1 + 2 + 1) = 40
    assert gx[1, 1] == 40 and gx[1, 2] == 40 and gx[1, 0] == 0 and gx[1, 3] == 0
    assert np.all(gy == 0)
    np.testing.assert_allclose(mag, np.abs(gx))


def test_sobel_vertical_edge_in_y():
    img = np.zeros((6, 5), np.float32)
    img[3:] = 1
    gx, gy, _ = sobel(img)
    assert np.all(gx == 0)
    assert gy[2, 2] == 4 and gy[3, 2] == 4 and gy[0, 2] == 0


def test_true_convolution_differs_for_asymmetric_kernel():
    img = np.zeros((7, 7), np.float32)
    img[3, 3] = 1  # an impulse: correlation shows the kernel flipped, convolution shows it as is
    k = np.arange(9, dtype=np.float32).reshape(3, 3)
    corr = filter_cv2(img, k, padding=1)
    conv = convolve_true(img, k, padding=1)
    np.testing.assert_array_equal(conv[2:5, 2:5], k)
    np.testing.assert_array_equal(corr[2:5, 2:5], k[::-1, ::-1])
    sym = KERNELS["laplacian"]
    np.testing.assert_allclose(convolve_true(img, sym, padding=1), filter_cv2(img, sym, padding=1))


def test_filter_channels_colour():
    scene = builtin_pictures(64)["scene"].astype(np.float32)
    maps = filter_channels(scene, KERNELS["sobel_x"], stride=2, padding=1)
    assert maps.shape == (3, 32, 32)
    for c in range(3):
        np.testing.assert_allclose(maps[c], filter_torch(scene[..., c], KERNELS["sobel_x"], 2, 1), atol=1e-3)
    assert filter_channels(scene[..., 0], KERNELS["blur"]).shape == (1, 62, 62)


def test_builtin_pictures():
    pics = builtin_pictures()
    assert {"shapes", "checkerboard", "scene"} <= set(pics)
    for name, pic in pics.items():
        assert pic.dtype == np.uint8 and pic.shape[:2] == (128, 128), name
        assert pic.std() > 10, name
    assert pics["scene"].shape == (128, 128, 3)


def test_bad_inputs():
    with pytest.raises(ValueError):
        filter_cv2(np.zeros((2, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError):
        filter_torch(np.zeros((4, 4, 3)), np.ones((3, 3)))


def test_output_shape_and_its_sums():
    assert output_shape((28, 20), 3, stride=2, padding=1) == (14, 10)
    assert size_formulas((28, 20), 3, stride=2, padding=1) == [
        r"\left\lfloor \frac{28 + 2\cdot1 - 3}{2} \right\rfloor + 1 = 14",
        r"\left\lfloor \frac{20 + 2\cdot1 - 3}{2} \right\rfloor + 1 = 10",
    ]
    assert len(size_formulas((28, 28))) == 1  # a square picture: one sum
    with pytest.raises(FilterError):
        output_shape((2, 2), 3)


def test_a_typed_kernel_counts_empty_cells_as_zero():
    k = kernel_from([[1, float("nan"), 1e300], [None, 2, float("-inf")], [0, 0, -1]])
    assert k.dtype == np.float32
    np.testing.assert_array_equal(k, [[1, 0, 0], [0, 2, 0], [0, 0, -1]])
    assert signed(k) and not signed(KERNELS["blur"])


def test_compare_correlation_with_convolution():
    img = np.random.default_rng(4).random((12, 9)).astype(np.float32) * 255
    same = compare(img, KERNELS["sobel_x"], stride=1, padding=1)
    assert same.libraries_apart < 1e-3 and not same.symmetric
    np.testing.assert_allclose(same.convolution, -same.correlation, atol=1e-3)  # Sobel turned over is -Sobel
    assert same.flip_apart == pytest.approx(np.abs(2 * same.correlation).max(), rel=1e-5)
    blur = compare(img, KERNELS["blur"])
    assert blur.symmetric and blur.flip_apart == 0
