"""Every string the app shows, in English and Korean.

Use `t(key, lang, **fmt)` or a `translator(lang)` bound to the page's language. Both languages
hold the same keys with the same {placeholders} (tests/test_i18n.py checks it). A key missing
from one language falls back to English, then to the key itself, so a page never crashes on it.
"""
from __future__ import annotations

import string

LANGUAGES = {"en": "English", "ko": "한국어"}
DEFAULT = "en"

EN: dict[str, str] = {
    # navigation
    "nav.home": "Home",
    "nav.dataset": "Dataset",
    "nav.filters": "Filters",
    "nav.train": "Train",
    "nav.mistakes": "Mistakes",
    "nav.feature_maps": "Feature maps",
    "nav.draw": "Draw",

    # shared
    "common.all": "All",
    "common.loading_data": "Loading the dataset (once per server)…",
    "common.loading_model": "Loading the model…",
    "common.evaluating": "Testing the model on every test image (once per model)…",
    "common.data_unreadable": "The dataset files were found but could not be read:",
    "common.bad_image": "Could not use this file:",

    # datasets
    "data.name.mnist": "MNIST (handwritten digits)",
    "data.name.fashion": "Fashion-MNIST (clothes)",
    "data.missing": "**{name} was not found.** Put its four files (plain or .gz) in the folder "
                    "`{folder}`, set the environment variable `MNIST_LAB_DATA` to a folder that has them, "
                    "or upload them on the Home page. The files are:",
    "data.go_home_to_upload": "Upload the dataset on the Home page",
    "class.fashion.0": "T-shirt/top",
    "class.fashion.1": "Trouser",
    "class.fashion.2": "Pullover",
    "class.fashion.3": "Dress",
    "class.fashion.4": "Coat",
    "class.fashion.5": "Sandal",
    "class.fashion.6": "Shirt",
    "class.fashion.7": "Sneaker",
    "class.fashion.8": "Bag",
    "class.fashion.9": "Ankle boot",

    # models
    "model.picker": "Model used on this page",
    "model.default_label": "Shipped model (default)",
    "model.default_missing": "The shipped default model is not installed yet. Train a model on the Train "
                             "page, then choose it there (or in the sidebar).",
    "model.no_checkpoint": "Run {run} has not saved a model yet (a model is saved after each epoch).",
    "model.run_gone": "Run {run} no longer exists; using the shipped model instead.",
    "model.unreadable": "This model file cannot be used:",
    "model.go_train": "Go to Train",

    # run states
    "state.queued": "queued",
    "state.running": "running",
    "state.done": "done",
    "state.stopped": "stopped",
    "state.failed": "failed",
    "state.interrupted": "interrupted",

    # preprocessing reasons (preprocess.REASONS)
    "reason.blank": "No digit yet: the picture is empty or too faint.",
    "reason.noise": "No clear digit: the picture looks like scribbles or noise.",

    # chart labels (charts.DEFAULT_LABELS)
    "chart.pixel_value": "Pixel value",
    "chart.row": "Row",
    "chart.column": "Column",
    "chart.image": "Image",
    "chart.class": "Class",
    "chart.count": "Images",
    "chart.weight": "Weight",
    "chart.channel": "Channel",
    "chart.activation": "Activation",
    "chart.unit": "Unit",
    "chart.step": "Step",
    "chart.epoch": "Epoch",
    "chart.loss": "Loss",
    "chart.accuracy": "Accuracy",
    "chart.raw": "per batch",
    "chart.smoothed": "smoothed",
    "chart.train": "train",
    "chart.test": "test",
    "chart.true": "True label",
    "chart.predicted": "Predicted",
    "chart.probability": "Probability",
    "chart.of_row": "of this true label",

    # home
    "home.title": "MNIST Lab",
    "home.intro": "An interactive lab for learning how a **convolutional neural network (CNN)** learns to "
                  "read handwritten digits. Every page is a small experiment: look at the data, try image "
                  "filters, train a network, study its mistakes, look inside it, and test it with your own "
                  "handwriting.",
    "home.lesson_title": "How to use it in a lesson",
    "home.lesson": "1. **Dataset** — what the computer sees: each digit is a 28×28 grid of numbers from 0 "
                   "to 255. Click a digit to see its pixels.\n"
                   "2. **Filters** — a 3×3 kernel slides over a picture. Sobel finds edges; edit the numbers "
                   "and guess the result before you look.\n"
                   "3. **Train** — start a run and watch the loss fall and the accuracy rise. Compare the "
                   "MLP with a CNN, or a small learning rate with a large one.\n"
                   "4. **Mistakes** — which digits fool the model? Click a cell of the confusion matrix.\n"
                   "5. **Feature maps** — follow one digit through every layer of the network.\n"
                   "6. **Draw** — write a digit with the mouse or a finger and see what the model answers.\n\n"
                   "Training runs in the background: it keeps going when you change page or close the tab. "
                   "The language switch in the sidebar works on every page.",
    "home.data_title": "Dataset",
    "home.data_found": "{name} found in `{where}`",
    "home.fashion_missing": "Fashion-MNIST (optional) was not found; the Dataset and Train pages offer it "
                            "when its files are in the data folder.",
    "home.upload_title": "Add the dataset without internet",
    "home.upload_help": "Upload the four MNIST files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, "
                        "`t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, best as `.gz`: each upload must "
                        "be under 20 MB) or one Keras `mnist.npz`. They are checked, then stored in `{root}`.",
    "home.upload_label": "Dataset files",
    "home.upload_button": "Check and store",
    "home.upload_checking": "Checking the files…",
    "home.upload_ok": "Stored in `{where}`. Every page can use the dataset now.",
    "home.upload_bad": "These files are not a usable MNIST dataset:",
    "home.upload_write_failed": "The files are fine but could not be saved:",
    "home.download_help": "With an internet connection the lab can also download MNIST itself (about 12 MB).",
    "home.download_button": "Download MNIST",
    "home.downloading": "Downloading MNIST…",
    "home.download_failed": "The download failed (no internet?). Upload the files above instead.",
    "home.device_title": "Device",
    "home.device_gpu": "Training uses this GPU.",
    "home.device_cpu": "No GPU found: training runs on the processor. A short run (1 epoch) takes a minute or two.",
    "home.model_title": "Model used by the pages",
    "home.default_model": "Default: the shipped **{title}**.",
    "home.default_accuracy": "Test accuracy",
    "home.default_accuracy_help": "Share of the 10,000 MNIST test digits it reads correctly.",
    "home.redrawn_accuracy": "On redrawn digits",
    "home.redrawn_accuracy_help": "Accuracy on test digits redrawn the way a drawing on the Draw page reaches "
                                  "the model: closer to what students will see.",
    "home.card_title": "How this model was trained",
    "home.card_line": "{epochs} epochs in {seconds} on {device} · {date}",
    "home.using_run": "This session uses your run **{run}**.",
    "home.go_train": "Train a model or choose another one",

    # dataset page
    "dataset.title": "The dataset",
    "dataset.intro": "Each image is 28×28 pixels, each pixel a whole number from 0 (black) to 255 (white). "
                     "The training split teaches the model; the test split checks it on digits it never saw.",
    "dataset.which": "Dataset",
    "dataset.split": "Split",
    "dataset.split.train": "train",
    "dataset.split.test": "test",
    "dataset.class_filter": "Class",
    "dataset.shuffle": "Shuffle",
    "dataset.in_order": "In order",
    "dataset.page": "Page (of {pages})",
    "dataset.showing": "{n} of {total} images; the yellow number is the label.",
    "dataset.click_hint": "Click an image to enlarge it.",
    "dataset.index": "Image number (0–{n})",
    "dataset.label_is": "Label: **{label}** · image {index}",
    "dataset.pixels_hint": "Every cell is one pixel; the number is its brightness.",
    "dataset.shapes_title": "Shapes and types",
    "dataset.col.split": "Split",
    "dataset.col.images": "Images (shape, type)",
    "dataset.col.labels": "Labels (shape, type)",
    "dataset.col.range": "Pixel range",
    "dataset.source": "Read from `{where}`.",
    "dataset.counts_title": "Images per class ({split})",
    "dataset.means_title": "Average image of each class",
    "dataset.means_hint": "The mean of every image of a class: a blurry 'typical' example of it.",
    "dataset.norm_title": "Preprocessing: scaling the pixels",
    "dataset.computing_stats": "Computing the mean and standard deviation of all training pixels…",
    "dataset.mean": "Pixel mean (training set)",
    "dataset.std": "Pixel standard deviation",
    "dataset.constants": "Constants used by the code",
    "dataset.norm_explain": "Networks learn best from small numbers around 0. **Min-max** divides by 255, "
                            "giving 0…1. **Standardize** then subtracts the mean and divides by the standard "
                            "deviation (computed above from the data), giving mean 0 and standard deviation 1. "
                            "**Padding** adds a 2-pixel black border (32×32) for models made for bigger images.",
    "dataset.stage.raw": "Original (0…255)",
    "dataset.stage.minmax": "Min-max: x / 255",
    "dataset.stage.standardize": "Standardize: (x/255 − μ) / σ",
    "dataset.stage.padded": "Padded to 32×32",
    "dataset.stage_stats": "{shape} · min {lo} · max {hi} · mean {mean}",

    # filters page
    "filters.title": "Filters and convolution",
    "filters.intro": "A convolution layer slides small grids of numbers (**kernels**) over the picture. At "
                     "each place it multiplies the kernel with the pixels under it and adds everything up. "
                     "Here you choose the kernel yourself; a CNN learns its kernels from the data.",
    "filters.source": "Picture",
    "filters.source.mnist": "MNIST digit",
    "filters.source.builtin": "Built-in picture",
    "filters.source.upload": "Upload",
    "filters.no_mnist": "MNIST is not installed, so a built-in digit is used instead.",
    "filters.test_index": "Test image number (0–{n})",
    "filters.picture": "Built-in picture",
    "filters.pic.shapes": "Shapes",
    "filters.pic.checkerboard": "Checkerboard",
    "filters.pic.rings": "Rings",
    "filters.pic.digit": "Digit 7",
    "filters.pic.scene": "House (colour)",
    "filters.upload": "Your picture (PNG, JPEG, GIF, BMP, WebP)",
    "filters.upload_hint": "Choose a picture to filter. Big pictures are shrunk to 192 pixels.",
    "filters.sobel_title": "Sobel: finding edges",
    "filters.sobel_explain": "The Sobel kernel **Gx** answers 'how much brighter is the right side than the "
                             "left?', **Gy** the same from top to bottom. Where both are near zero the picture is "
                             "flat; the magnitude √(Gx² + Gy²) is large on edges in any direction.",
    "filters.original": "Original",
    "filters.colour": "colour (Sobel uses its grey version)",
    "filters.sobel_caption": "Each map is scaled on its own: dark = low, yellow = high. Hover to read the values.",
    "filters.kernel_title": "Your own 3×3 kernel",
    "filters.preset": "Start from",
    "filters.kernel.sobel_x": "Sobel x (Gx)",
    "filters.kernel.sobel_y": "Sobel y (Gy)",
    "filters.kernel.laplacian": "Laplacian (all edges)",
    "filters.kernel.blur": "Blur (average)",
    "filters.kernel.sharpen": "Sharpen",
    "filters.kernel.identity": "Identity (no change)",
    "filters.kernel.emboss": "Emboss",
    "filters.kernel_hint": "Click a cell to change a number. Try making the kernel's numbers add up to 0, or to 1.",
    "filters.stride": "Stride (step of the slide)",
    "filters.padding": "Padding (zeros around the picture)",
    "filters.formula_intro": "Output size = ⌊(input + 2·padding − kernel) / stride⌋ + 1:",
    "filters.output_size": "The {h}×{w} picture becomes a **{oh}×{ow}** feature map.",
    "filters.per_channel": "A colour picture has three channels (red, green, blue): the kernel makes one map "
                           "for each. (A CNN layer would add them into one map per kernel.)",
    "filters.one_channel": "A grey picture has one channel, so the kernel makes one feature map.",
    "filters.grey": "grey",
    "filters.same_title": "Same numbers from OpenCV and PyTorch",
    "filters.max_diff_libs": "Largest difference cv2 vs torch",
    "filters.max_diff_conv": "Largest difference correlation vs true convolution",
    "filters.corr_explain": "Both libraries compute a **cross-correlation**: the kernel is laid on the picture "
                            "as it is. The textbook **convolution** first rotates the kernel by 180°. For a CNN "
                            "this makes no difference, because it learns the kernel either way.",
    "filters.symmetric": "This kernel looks the same after a 180° turn, so correlation and convolution give "
                         "the same map. Try Sobel x to see them differ.",
    "filters.correlation": "correlation (cv2, torch)",
    "filters.convolution": "convolution (kernel turned 180°)",

    # train page
    "train.title": "Train a network",
    "train.intro": "Choose a model and settings and press Start. Training runs in its own process: you can "
                   "change page or close the tab, and the run goes on. Its curves appear below.",
    "train.model": "Model",
    "train.preset": "Preset",
    "train.preset.seed000": "Seed 000 (SGD, 2 epochs)",
    "train.preset.seed003": "Seed 003 (SGD, 1 epoch)",
    "train.preset.fast": "Fast (Adam, one-cycle, 3 epochs)",
    "train.preset_help.seed000": "The settings of the original 4-layer CNN notebook: SGD with momentum 0.9, pixels 0…1.",
    "train.preset_help.seed003": "The settings of the original LeNet-5 notebook: SGD with momentum 0.5, standardized pixels.",
    "train.preset_help.fast": "Adam with a one-cycle learning rate: about 99% in three short epochs.",
    "train.col.layer": "Layer",
    "train.col.type": "Type",
    "train.col.shape": "Output shape",
    "train.col.params": "Parameters",
    "train.total_params": "{n} parameters in all · input {size}×{size}",
    "train.optimizer": "Optimizer",
    "train.lr": "Learning rate",
    "train.momentum": "Momentum",
    "train.weight_decay": "Weight decay",
    "train.batch_size": "Batch size",
    "train.epochs": "Epochs",
    "train.seed": "Random seed",
    "train.device": "Device",
    "train.device.auto": "automatic",
    "train.device.cpu": "CPU",
    "train.device.cuda": "GPU (CUDA)",
    "train.more": "More settings",
    "train.normalize": "Pixel scaling",
    "train.normalize.minmax": "min-max (0…1)",
    "train.normalize.standardize": "standardize (mean 0, std 1)",
    "train.schedule": "Learning-rate schedule",
    "train.schedule.constant": "constant",
    "train.schedule.onecycle": "one-cycle",
    "train.schedule.cosine": "cosine",
    "train.limit": "Training images (0 = all)",
    "train.limit_help": "Use only the first N training images: quicker runs for a lesson.",
    "train.dataset": "Dataset",
    "train.augment": "Augment (random shifts, turns, sizes, stroke widths)",
    "train.augment_help": "Makes the model better at reading digits drawn by hand on the Draw page.",
    "train.start": "Start training",
    "train.bad_setting": "Please check the settings:",
    "train.start_failed": "The training process could not be started:",
    "train.started": "Started run {run}",
    "train.no_runs": "No runs yet. Start one above.",
    "train.live_title": "Watch a run",
    "train.watch": "Run",
    "train.queued": "Waiting for a free slot: {ahead} run(s) ahead of this one ({slots} run(s) can train at the same time)…",
    "train.too_many": "You already have {n} run(s) queued or training ({runs}). Wait for one to end, or stop it, before starting another: the machine is shared with the whole class.",
    "train.progress": "Step {step} of {total} · epoch {epoch} · {ips} images/s · about {eta} left",
    "train.state": "State",
    "train.loss_now": "Loss (last batch)",
    "train.test_acc": "Test accuracy",
    "train.elapsed": "Time",
    "train.stop": "Stop",
    "train.stopping": "Asked the run to stop; it keeps what it has learned.",
    "train.delete": "Delete this run",
    "train.delete_confirm": "Delete run {run} with its checkpoint and curves? This cannot be undone.",
    "train.delete_yes": "Yes, delete it",
    "train.deleted": "Deleted run {run}",
    "train.delete_failed": "Could not delete the run:",
    "train.done": "Finished: test accuracy {acc}.",
    "train.was_stopped": "Stopped by a user; the model learned so far was saved.",
    "train.failed": "The run did not finish: {reason}",
    "train.batch_chart": "Every batch",
    "train.epoch_chart": "After each epoch: train vs test",
    "train.runs_title": "All runs",
    "train.col.run": "Run",
    "train.col.model": "Model",
    "train.col.preset": "Preset",
    "train.col.status": "State",
    "train.col.accuracy": "Test accuracy",
    "train.col.epochs": "Epochs",
    "train.col.duration": "Duration",
    "train.col.device": "Device",
    "train.use_title": "Model for the other pages",
    "train.use": "Mistakes, Feature maps and Draw use",
    "train.use_hint": "Only runs that have saved a model (after their first epoch) are listed.",
    "train.compare_title": "Compare runs",
    "train.compare_runs": "Runs",
    "train.compare_metric": "Curve",
    "train.compare_hint": "Choose one or more runs to draw their curves together.",
    "train.metric.test_acc": "test accuracy",
    "train.metric.test_loss": "test loss",
    "train.metric.train_acc": "train accuracy",
    "train.metric.train_loss": "train loss",
    "train.metric.loss": "batch loss (smoothed)",

    # mistakes page
    "mistakes.title": "Where the model goes wrong",
    "mistakes.intro": "The model answers every test image. The confusion matrix counts how often each true "
                      "digit (row) was read as each answer (column): the diagonal is right, everything else "
                      "is a mistake.",
    "mistakes.accuracy": "Test accuracy",
    "mistakes.wrong": "Mistakes",
    "mistakes.test_images": "Test images",
    "mistakes.model_is": "Model: {model} · `{path}`",
    "mistakes.confusion_title": "Confusion matrix",
    "mistakes.confusion_hint": "Click a cell to see those test digits.",
    "mistakes.per_class_title": "Accuracy per class",
    "mistakes.col.class": "Class",
    "mistakes.col.accuracy": "Accuracy",
    "mistakes.col.wrong": "Mistakes",
    "mistakes.cell_title": "True {true}, answered {pred}: {n} image(s)",
    "mistakes.cell_empty": "No test digit falls in this cell.",
    "mistakes.first_n": "The first {n}, most confident first.",
    "mistakes.gallery_title": "Misclassified digits",
    "mistakes.filter_true": "True label",
    "mistakes.filter_pred": "Model's answer",
    "mistakes.gallery_hint": "{n} mistakes, the most confident first. Caption: true → answer, confidence. "
                             "Click a digit for details.",
    "mistakes.none": "No mistakes with this filter.",
    "mistakes.detail": "Image {index}: true **{true}**, answered **{pred}** with confidence {conf}.",
    "mistakes.to_feature_maps": "Look inside the network for this digit",

    # feature maps page
    "fm.title": "Inside the network",
    "fm.intro": "Follow one digit through the network. Each convolution layer has learned filters (kernels); "
                "its output is a stack of feature maps, one per filter. ReLU keeps the positive values, "
                "pooling halves the size.",
    "fm.source": "Digit",
    "fm.source.test": "Test image",
    "fm.source.drawn": "My drawing",
    "fm.draw_hint": "Draw a digit on the Draw page to look at your own.",
    "fm.index": "Test image number (0–{n})",
    "fm.input": "Input",
    "fm.true_label": "label {label}",
    "fm.model_input": "The model receives {shape} numbers ({normalize}).",
    "fm.top": "Top answers",
    "fm.layers_title": "Layer by layer",
    "fm.no_conv": "This model has no convolution layers: it looks at all 784 pixels at once.",
    "fm.show_layers": "Layers to show",
    "fm.maps_hint": "Filters: blue negative, red positive. Feature maps: each scaled on its own, yellow = strong.",
    "fm.in_channel": "Filters for input channel (0–{n})",
    "fm.filters": "{n} learned filters of {k} over {c} input channel(s):",
    "fm.first_maps": "The first {n} of {total} feature maps.",
    "fm.dense_title": "Dense layers",

    # draw page
    "draw.title": "Draw a digit",
    "draw.intro": "Write one digit (0–9) in the black box. The lab turns it into a 28×28 image the way MNIST "
                  "was made, and the model answers.",
    "draw.brush": "Brush width",
    "draw.clear": "Clear",
    "draw.no_canvas": "The drawing pad could not be shown; you can still upload a photo of a digit below.",
    "draw.upload_title": "Or upload a photo of a digit",
    "draw.upload": "Photo of one digit",
    "draw.seen_title": "What the model sees",
    "draw.empty_hint": "Draw a digit in the box.",
    "draw.seen_hint": "Cropped, scaled to fit 20×20 and centred in 28×28, like the MNIST digits.",
    "draw.to_feature_maps": "Look inside the network",
    "draw.answer_title": "The model's answer",
    "draw.prediction": "Answer",
    "draw.confidence": "confidence {conf}",
    "draw.unsure": "The model is unsure: try a bigger, centred digit.",
    "draw.timing": "Preprocessing and prediction took {ms} ms on the server.",
    "draw.timing_help": "From the moment the drawing reached the server to the ten probabilities.",
}

KO: dict[str, str] = {
    "nav.home": "홈",
    "nav.dataset": "데이터셋",
    "nav.filters": "필터",
    "nav.train": "학습",
    "nav.mistakes": "오답 분석",
    "nav.feature_maps": "특징 맵",
    "nav.draw": "손글씨",

    "common.all": "전체",
    "common.loading_data": "데이터셋을 불러오는 중입니다(서버마다 한 번)…",
    "common.loading_model": "모델을 불러오는 중입니다…",
    "common.evaluating": "모든 테스트 이미지로 모델을 평가하는 중입니다(모델마다 한 번)…",
    "common.data_unreadable": "데이터셋 파일을 찾았지만 읽을 수 없습니다:",
    "common.bad_image": "이 파일은 사용할 수 없습니다:",

    "data.name.mnist": "MNIST (손글씨 숫자)",
    "data.name.fashion": "Fashion-MNIST (옷)",
    "data.missing": "**{name}을(를) 찾지 못했습니다.** 네 개의 파일(압축 안 된 파일 또는 .gz)을 "
                    "`{folder}` 폴더에 넣거나, 파일이 있는 폴더를 환경 변수 `MNIST_LAB_DATA`로 지정하거나, "
                    "홈 페이지에서 업로드하세요. 필요한 파일:",
    "data.go_home_to_upload": "홈 페이지에서 데이터셋 업로드하기",
    "class.fashion.0": "티셔츠/상의",
    "class.fashion.1": "바지",
    "class.fashion.2": "풀오버",
    "class.fashion.3": "드레스",
    "class.fashion.4": "코트",
    "class.fashion.5": "샌들",
    "class.fashion.6": "셔츠",
    "class.fashion.7": "운동화",
    "class.fashion.8": "가방",
    "class.fashion.9": "앵클부츠",

    "model.picker": "이 페이지에서 쓰는 모델",
    "model.default_label": "기본 제공 모델",
    "model.default_missing": "기본 제공 모델이 아직 설치되지 않았습니다. 학습 페이지에서 모델을 학습시킨 뒤 "
                             "그곳(또는 사이드바)에서 선택하세요.",
    "model.no_checkpoint": "실행 {run}은(는) 아직 모델을 저장하지 않았습니다(에포크가 끝날 때마다 저장됩니다).",
    "model.run_gone": "실행 {run}이(가) 더 이상 없습니다. 기본 제공 모델을 대신 사용합니다.",
    "model.unreadable": "이 모델 파일은 사용할 수 없습니다:",
    "model.go_train": "학습 페이지로 가기",

    "state.queued": "대기 중",
    "state.running": "학습 중",
    "state.done": "완료",
    "state.stopped": "중지됨",
    "state.failed": "실패",
    "state.interrupted": "중단됨",

    "reason.blank": "아직 숫자가 없습니다. 그림이 비어 있거나 너무 흐립니다.",
    "reason.noise": "숫자를 알아볼 수 없습니다. 낙서나 잡음처럼 보입니다.",

    "chart.pixel_value": "픽셀 값",
    "chart.row": "행",
    "chart.column": "열",
    "chart.image": "이미지",
    "chart.class": "클래스",
    "chart.count": "이미지 수",
    "chart.weight": "가중치",
    "chart.channel": "채널",
    "chart.activation": "활성값",
    "chart.unit": "유닛",
    "chart.step": "스텝",
    "chart.epoch": "에포크",
    "chart.loss": "손실",
    "chart.accuracy": "정확도",
    "chart.raw": "배치별",
    "chart.smoothed": "평활",
    "chart.train": "학습",
    "chart.test": "테스트",
    "chart.true": "정답",
    "chart.predicted": "예측",
    "chart.probability": "확률",
    "chart.of_row": "(이 정답 중 비율)",

    "home.title": "MNIST 실험실",
    "home.intro": "**합성곱 신경망**(CNN)이 손글씨 숫자를 읽는 법을 어떻게 배우는지 직접 해 보며 익히는 "
                  "실험실입니다. 페이지마다 작은 실험이 있습니다: 데이터를 살펴보고, 이미지 필터를 써 보고, "
                  "신경망을 학습시키고, 틀린 답을 분석하고, 신경망 안을 들여다보고, 내 손글씨로 시험해 보세요.",
    "home.lesson_title": "수업에서 쓰는 방법",
    "home.lesson": "1. **데이터셋** — 컴퓨터가 보는 것: 숫자 하나는 0부터 255까지의 수로 된 28×28 격자입니다. "
                   "숫자를 클릭하면 픽셀 값을 볼 수 있습니다.\n"
                   "2. **필터** — 3×3 커널이 그림 위를 미끄러지듯 지나갑니다. 소벨 필터는 경계선을 찾습니다. "
                   "숫자를 바꾸기 전에 결과를 먼저 예상해 보세요.\n"
                   "3. **학습** — 학습을 시작하고 손실이 줄고 정확도가 오르는 것을 지켜보세요. MLP와 CNN, "
                   "작은 학습률과 큰 학습률을 비교해 보세요.\n"
                   "4. **오답 분석** — 어떤 숫자가 모델을 헷갈리게 할까요? 혼동 행렬의 칸을 클릭하세요.\n"
                   "5. **특징 맵** — 숫자 하나가 신경망의 각 층을 지나가는 모습을 따라가 보세요.\n"
                   "6. **손글씨** — 마우스나 손가락으로 숫자를 쓰고 모델의 답을 확인하세요.\n\n"
                   "학습은 백그라운드에서 진행되므로 페이지를 옮기거나 탭을 닫아도 계속됩니다. "
                   "사이드바의 언어 선택은 모든 페이지에 적용됩니다.",
    "home.data_title": "데이터셋",
    "home.data_found": "{name}: `{where}`에서 찾았습니다",
    "home.fashion_missing": "Fashion-MNIST(선택 사항)를 찾지 못했습니다. 데이터 폴더에 파일이 있으면 데이터셋 "
                            "페이지와 학습 페이지에서 쓸 수 있습니다.",
    "home.upload_title": "인터넷 없이 데이터셋 추가하기",
    "home.upload_help": "MNIST 파일 네 개(`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, "
                        "`t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, 가능하면 `.gz`: 파일 하나는 "
                        "20 MB보다 작아야 합니다) 또는 Keras `mnist.npz` 하나를 업로드하세요. 검사한 뒤 "
                        "`{root}`에 저장합니다.",
    "home.upload_label": "데이터셋 파일",
    "home.upload_button": "검사하고 저장하기",
    "home.upload_checking": "파일을 검사하는 중입니다…",
    "home.upload_ok": "`{where}`에 저장했습니다. 이제 모든 페이지에서 데이터셋을 쓸 수 있습니다.",
    "home.upload_bad": "이 파일들은 사용할 수 있는 MNIST 데이터셋이 아닙니다:",
    "home.upload_write_failed": "파일은 올바르지만 저장하지 못했습니다:",
    "home.download_help": "인터넷에 연결되어 있으면 MNIST를 직접 내려받을 수도 있습니다(약 12 MB).",
    "home.download_button": "MNIST 내려받기",
    "home.downloading": "MNIST를 내려받는 중입니다…",
    "home.download_failed": "내려받지 못했습니다(인터넷 연결을 확인하세요). 위에서 파일을 업로드하세요.",
    "home.device_title": "장치",
    "home.device_gpu": "학습에 이 GPU를 사용합니다.",
    "home.device_cpu": "GPU가 없어 CPU로 학습합니다. 짧은 학습(1 에포크)은 1~2분 걸립니다.",
    "home.model_title": "페이지에서 쓰는 모델",
    "home.default_model": "기본: 함께 제공되는 **{title}**.",
    "home.default_accuracy": "테스트 정확도",
    "home.default_accuracy_help": "MNIST 테스트 숫자 10,000개 중 바르게 읽은 비율입니다.",
    "home.redrawn_accuracy": "다시 그린 숫자",
    "home.redrawn_accuracy_help": "손글씨 페이지에서 그린 그림이 모델에 전달되는 방식대로 다시 그린 테스트 숫자의 "
                                  "정확도입니다: 학생들이 보게 될 결과에 더 가깝습니다.",
    "home.card_title": "이 모델을 학습시킨 방법",
    "home.card_line": "{device}에서 {epochs} 에포크, {seconds} 소요 · {date}",
    "home.using_run": "이 세션은 직접 학습한 실행 **{run}**을(를) 사용합니다.",
    "home.go_train": "모델을 학습시키거나 다른 모델 고르기",

    "dataset.title": "데이터셋",
    "dataset.intro": "이미지 하나는 28×28 픽셀이고, 각 픽셀은 0(검정)부터 255(흰색)까지의 정수입니다. "
                     "학습용 데이터로 모델을 가르치고, 테스트용 데이터로 처음 보는 숫자를 얼마나 잘 읽는지 확인합니다.",
    "dataset.which": "데이터셋",
    "dataset.split": "구분",
    "dataset.split.train": "학습용",
    "dataset.split.test": "테스트용",
    "dataset.class_filter": "클래스",
    "dataset.shuffle": "섞기",
    "dataset.in_order": "순서대로",
    "dataset.page": "페이지 (전체 {pages})",
    "dataset.showing": "이미지 {total}개 중 {n}개. 노란 숫자가 정답(레이블)입니다.",
    "dataset.click_hint": "이미지를 클릭하면 크게 볼 수 있습니다.",
    "dataset.index": "이미지 번호 (0–{n})",
    "dataset.label_is": "레이블: **{label}** · 이미지 {index}",
    "dataset.pixels_hint": "칸 하나가 픽셀 하나이고, 적힌 수가 밝기입니다.",
    "dataset.shapes_title": "모양(shape)과 자료형(dtype)",
    "dataset.col.split": "구분",
    "dataset.col.images": "이미지 (모양, 자료형)",
    "dataset.col.labels": "레이블 (모양, 자료형)",
    "dataset.col.range": "픽셀 범위",
    "dataset.source": "`{where}`에서 읽었습니다.",
    "dataset.counts_title": "클래스별 이미지 수 ({split})",
    "dataset.means_title": "클래스별 평균 이미지",
    "dataset.means_hint": "한 클래스의 모든 이미지를 평균한 것: 흐릿한 '대표' 모습입니다.",
    "dataset.norm_title": "전처리: 픽셀 값 조정",
    "dataset.computing_stats": "모든 학습 픽셀의 평균과 표준편차를 계산하는 중입니다…",
    "dataset.mean": "픽셀 평균 (학습용)",
    "dataset.std": "픽셀 표준편차",
    "dataset.constants": "코드에서 쓰는 상수",
    "dataset.norm_explain": "신경망은 0 근처의 작은 수에서 가장 잘 배웁니다. **최소-최대 정규화**는 255로 나누어 "
                            "0…1로 만듭니다. **표준화**는 여기에 평균을 빼고 표준편차로 나누어(위에서 데이터로 "
                            "계산한 값) 평균 0, 표준편차 1로 만듭니다. **패딩**은 더 큰 이미지용 모델을 위해 "
                            "2픽셀짜리 검은 테두리를 더합니다(32×32).",
    "dataset.stage.raw": "원본 (0…255)",
    "dataset.stage.minmax": "최소-최대: x / 255",
    "dataset.stage.standardize": "표준화: (x/255 − μ) / σ",
    "dataset.stage.padded": "32×32로 패딩",
    "dataset.stage_stats": "{shape} · 최소 {lo} · 최대 {hi} · 평균 {mean}",

    "filters.title": "필터와 합성곱",
    "filters.intro": "합성곱 층은 작은 숫자 격자(**커널**)를 그림 위로 움직입니다. 위치마다 커널과 그 아래 "
                     "픽셀을 곱해 모두 더합니다. 여기서는 커널을 직접 고르지만, CNN은 데이터에서 커널을 "
                     "스스로 배웁니다.",
    "filters.source": "그림",
    "filters.source.mnist": "MNIST 숫자",
    "filters.source.builtin": "기본 그림",
    "filters.source.upload": "업로드",
    "filters.no_mnist": "MNIST가 설치되지 않아 기본 숫자 그림을 대신 사용합니다.",
    "filters.test_index": "테스트 이미지 번호 (0–{n})",
    "filters.picture": "기본 그림",
    "filters.pic.shapes": "도형",
    "filters.pic.checkerboard": "체스판",
    "filters.pic.rings": "동심원",
    "filters.pic.digit": "숫자 7",
    "filters.pic.scene": "집 (컬러)",
    "filters.upload": "내 그림 (PNG, JPEG, GIF, BMP, WebP)",
    "filters.upload_hint": "필터를 적용할 그림을 고르세요. 큰 그림은 192픽셀로 줄입니다.",
    "filters.sobel_title": "소벨 필터: 경계선 찾기",
    "filters.sobel_explain": "소벨 커널 **Gx**는 '오른쪽이 왼쪽보다 얼마나 밝은가?'를, **Gy**는 위아래에 대해 "
                             "같은 것을 계산합니다. 둘 다 0에 가까우면 그 부분은 평평하고, 크기 √(Gx² + Gy²)는 "
                             "어느 방향이든 경계선에서 커집니다.",
    "filters.original": "원본",
    "filters.colour": "컬러 (소벨은 회색 버전을 사용)",
    "filters.sobel_caption": "각 맵은 따로 크기가 맞춰집니다: 어두우면 낮고 노라면 높습니다. 마우스를 올리면 값이 보입니다.",
    "filters.kernel_title": "나만의 3×3 커널",
    "filters.preset": "시작 커널",
    "filters.kernel.sobel_x": "소벨 x (Gx)",
    "filters.kernel.sobel_y": "소벨 y (Gy)",
    "filters.kernel.laplacian": "라플라시안 (모든 경계)",
    "filters.kernel.blur": "흐리게 (평균)",
    "filters.kernel.sharpen": "선명하게",
    "filters.kernel.identity": "항등 (변화 없음)",
    "filters.kernel.emboss": "엠보싱",
    "filters.kernel_hint": "칸을 클릭해 숫자를 바꾸세요. 커널의 합이 0이 되게, 또는 1이 되게 만들어 보세요.",
    "filters.stride": "스트라이드 (이동 간격)",
    "filters.padding": "패딩 (그림 둘레의 0)",
    "filters.formula_intro": "출력 크기 = ⌊(입력 + 2·패딩 − 커널) / 스트라이드⌋ + 1:",
    "filters.output_size": "{h}×{w} 그림이 **{oh}×{ow}** 특징 맵이 됩니다.",
    "filters.per_channel": "컬러 그림에는 빨강, 초록, 파랑 세 채널이 있어 커널이 채널마다 맵을 하나씩 만듭니다. "
                           "(CNN 층은 이것들을 더해 커널마다 맵 하나를 만듭니다.)",
    "filters.one_channel": "회색 그림은 채널이 하나라서 커널이 특징 맵 하나를 만듭니다.",
    "filters.grey": "회색",
    "filters.same_title": "OpenCV와 PyTorch가 같은 값을 냅니다",
    "filters.max_diff_libs": "cv2와 torch의 최대 차이",
    "filters.max_diff_conv": "상관과 진짜 합성곱의 최대 차이",
    "filters.corr_explain": "두 라이브러리 모두 **교차 상관**을 계산합니다: 커널을 그대로 그림 위에 놓습니다. "
                            "교과서의 **합성곱**은 먼저 커널을 180° 돌립니다. CNN은 어느 쪽이든 커널을 배우므로 "
                            "차이가 없습니다.",
    "filters.symmetric": "이 커널은 180° 돌려도 같아서 상관과 합성곱이 같은 맵을 만듭니다. 소벨 x로 바꾸면 "
                         "차이가 보입니다.",
    "filters.correlation": "상관 (cv2, torch)",
    "filters.convolution": "합성곱 (커널을 180° 회전)",

    "train.title": "신경망 학습시키기",
    "train.intro": "모델과 설정을 고르고 시작을 누르세요. 학습은 별도 프로세스에서 진행되므로 페이지를 옮기거나 "
                   "탭을 닫아도 계속됩니다. 아래에 학습 곡선이 나타납니다.",
    "train.model": "모델",
    "train.preset": "프리셋",
    "train.preset.seed000": "Seed 000 (SGD, 2 에포크)",
    "train.preset.seed003": "Seed 003 (SGD, 1 에포크)",
    "train.preset.fast": "빠르게 (Adam, one-cycle, 3 에포크)",
    "train.preset_help.seed000": "원래 4층 CNN 노트북의 설정: 모멘텀 0.9의 SGD, 픽셀 0…1.",
    "train.preset_help.seed003": "원래 LeNet-5 노트북의 설정: 모멘텀 0.5의 SGD, 표준화한 픽셀.",
    "train.preset_help.fast": "one-cycle 학습률의 Adam: 짧은 3 에포크로 약 99%.",
    "train.col.layer": "층",
    "train.col.type": "종류",
    "train.col.shape": "출력 모양",
    "train.col.params": "파라미터 수",
    "train.total_params": "전체 파라미터 {n}개 · 입력 {size}×{size}",
    "train.optimizer": "옵티마이저",
    "train.lr": "학습률",
    "train.momentum": "모멘텀",
    "train.weight_decay": "가중치 감쇠",
    "train.batch_size": "배치 크기",
    "train.epochs": "에포크",
    "train.seed": "랜덤 시드",
    "train.device": "장치",
    "train.device.auto": "자동",
    "train.device.cpu": "CPU",
    "train.device.cuda": "GPU (CUDA)",
    "train.more": "추가 설정",
    "train.normalize": "픽셀 조정",
    "train.normalize.minmax": "최소-최대 (0…1)",
    "train.normalize.standardize": "표준화 (평균 0, 표준편차 1)",
    "train.schedule": "학습률 스케줄",
    "train.schedule.constant": "고정",
    "train.schedule.onecycle": "one-cycle",
    "train.schedule.cosine": "코사인",
    "train.limit": "학습 이미지 수 (0 = 전체)",
    "train.limit_help": "앞에서부터 N개의 학습 이미지만 사용합니다: 수업용으로 빠르게 학습할 때 좋습니다.",
    "train.dataset": "데이터셋",
    "train.augment": "데이터 증강 (무작위 이동, 회전, 크기, 획 두께)",
    "train.augment_help": "손글씨 페이지에서 직접 쓴 숫자를 더 잘 읽게 됩니다.",
    "train.start": "학습 시작",
    "train.bad_setting": "설정을 확인하세요:",
    "train.start_failed": "학습 프로세스를 시작하지 못했습니다:",
    "train.started": "실행 {run}을(를) 시작했습니다",
    "train.no_runs": "아직 실행이 없습니다. 위에서 학습을 시작하세요.",
    "train.live_title": "실행 지켜보기",
    "train.watch": "실행",
    "train.queued": "빈자리를 기다리는 중입니다: 앞에 {ahead}개의 실행이 있습니다(동시에 {slots}개까지 학습할 수 있습니다)…",
    "train.too_many": "이미 대기 중이거나 학습 중인 실행이 {n}개 있습니다({runs}). 다른 실행을 시작하기 전에 하나가 끝나기를 기다리거나 중지하세요. 이 컴퓨터는 반 전체가 함께 씁니다.",
    "train.progress": "스텝 {step}/{total} · 에포크 {epoch} · 초당 이미지 {ips}개 · 약 {eta} 남음",
    "train.state": "상태",
    "train.loss_now": "손실 (마지막 배치)",
    "train.test_acc": "테스트 정확도",
    "train.elapsed": "경과 시간",
    "train.stop": "중지",
    "train.stopping": "실행에 중지를 요청했습니다. 지금까지 배운 것은 저장됩니다.",
    "train.delete": "이 실행 삭제",
    "train.delete_confirm": "실행 {run}을(를) 체크포인트와 곡선까지 모두 삭제할까요? 되돌릴 수 없습니다.",
    "train.delete_yes": "네, 삭제합니다",
    "train.deleted": "실행 {run}을(를) 삭제했습니다",
    "train.delete_failed": "실행을 삭제하지 못했습니다:",
    "train.done": "완료: 테스트 정확도 {acc}.",
    "train.was_stopped": "사용자가 중지했습니다. 그때까지 배운 모델은 저장되었습니다.",
    "train.failed": "실행이 끝나지 못했습니다: {reason}",
    "train.batch_chart": "배치마다",
    "train.epoch_chart": "에포크마다: 학습 대 테스트",
    "train.runs_title": "모든 실행",
    "train.col.run": "실행",
    "train.col.model": "모델",
    "train.col.preset": "프리셋",
    "train.col.status": "상태",
    "train.col.accuracy": "테스트 정확도",
    "train.col.epochs": "에포크",
    "train.col.duration": "소요 시간",
    "train.col.device": "장치",
    "train.use_title": "다른 페이지에서 쓸 모델",
    "train.use": "오답 분석, 특징 맵, 손글씨 페이지에서 쓸 모델",
    "train.use_hint": "모델을 저장한 실행(첫 에포크가 끝난 실행)만 보입니다.",
    "train.compare_title": "실행 비교하기",
    "train.compare_runs": "실행",
    "train.compare_metric": "곡선",
    "train.compare_hint": "하나 이상의 실행을 고르면 곡선을 함께 그립니다.",
    "train.metric.test_acc": "테스트 정확도",
    "train.metric.test_loss": "테스트 손실",
    "train.metric.train_acc": "학습 정확도",
    "train.metric.train_loss": "학습 손실",
    "train.metric.loss": "배치 손실 (평활)",

    "mistakes.title": "모델이 틀리는 곳",
    "mistakes.intro": "모델이 모든 테스트 이미지에 답합니다. 혼동 행렬은 각 정답 숫자(행)가 각 답(열)으로 "
                      "읽힌 횟수를 셉니다: 대각선은 맞힌 것이고 나머지는 모두 틀린 것입니다.",
    "mistakes.accuracy": "테스트 정확도",
    "mistakes.wrong": "틀린 개수",
    "mistakes.test_images": "테스트 이미지",
    "mistakes.model_is": "모델: {model} · `{path}`",
    "mistakes.confusion_title": "혼동 행렬",
    "mistakes.confusion_hint": "칸을 클릭하면 해당 테스트 숫자들이 보입니다.",
    "mistakes.per_class_title": "클래스별 정확도",
    "mistakes.col.class": "클래스",
    "mistakes.col.accuracy": "정확도",
    "mistakes.col.wrong": "틀린 개수",
    "mistakes.cell_title": "정답 {true}, 모델의 답 {pred}: 이미지 {n}개",
    "mistakes.cell_empty": "이 칸에 해당하는 테스트 숫자가 없습니다.",
    "mistakes.first_n": "확신이 큰 순서로 처음 {n}개.",
    "mistakes.gallery_title": "잘못 분류된 숫자",
    "mistakes.filter_true": "정답",
    "mistakes.filter_pred": "모델의 답",
    "mistakes.gallery_hint": "틀린 것 {n}개, 확신이 큰 순서입니다. 표시: 정답 → 답, 확신도. 숫자를 클릭하면 "
                             "자세히 볼 수 있습니다.",
    "mistakes.none": "이 조건에는 틀린 것이 없습니다.",
    "mistakes.detail": "이미지 {index}: 정답 **{true}**, 모델의 답 **{pred}**, 확신도 {conf}.",
    "mistakes.to_feature_maps": "이 숫자로 신경망 속 들여다보기",

    "fm.title": "신경망 들여다보기",
    "fm.intro": "숫자 하나가 신경망을 지나가는 과정을 따라가 보세요. 합성곱 층마다 학습된 필터(커널)가 있고, "
                "그 출력은 필터마다 하나씩인 특징 맵 묶음입니다. ReLU는 양수만 남기고, 풀링은 크기를 절반으로 줄입니다.",
    "fm.source": "숫자",
    "fm.source.test": "테스트 이미지",
    "fm.source.drawn": "내가 쓴 숫자",
    "fm.draw_hint": "손글씨 페이지에서 숫자를 쓰면 내 숫자도 볼 수 있습니다.",
    "fm.index": "테스트 이미지 번호 (0–{n})",
    "fm.input": "입력",
    "fm.true_label": "레이블 {label}",
    "fm.model_input": "모델은 {shape}개의 수를 받습니다({normalize}).",
    "fm.top": "상위 답",
    "fm.layers_title": "층별로 보기",
    "fm.no_conv": "이 모델에는 합성곱 층이 없습니다: 784개 픽셀을 한꺼번에 봅니다.",
    "fm.show_layers": "보여 줄 층",
    "fm.maps_hint": "필터: 파랑은 음수, 빨강은 양수. 특징 맵: 각각 따로 크기를 맞추며 노랄수록 강합니다.",
    "fm.in_channel": "입력 채널별 필터 (0–{n})",
    "fm.filters": "입력 채널 {c}개에 대한 {k} 크기의 학습된 필터 {n}개:",
    "fm.first_maps": "특징 맵 {total}개 중 처음 {n}개.",
    "fm.dense_title": "완전 연결 층",

    "draw.title": "숫자 쓰기",
    "draw.intro": "검은 상자에 숫자 하나(0–9)를 쓰세요. MNIST를 만든 방식대로 28×28 이미지로 바꾼 뒤 "
                  "모델이 답합니다.",
    "draw.brush": "붓 굵기",
    "draw.clear": "지우기",
    "draw.no_canvas": "그림판을 표시할 수 없습니다. 아래에서 숫자 사진을 업로드할 수는 있습니다.",
    "draw.upload_title": "또는 숫자 사진 업로드하기",
    "draw.upload": "숫자 하나가 있는 사진",
    "draw.seen_title": "모델이 보는 이미지",
    "draw.empty_hint": "상자에 숫자를 쓰세요.",
    "draw.seen_hint": "잘라 내고, 20×20에 맞게 줄이고, MNIST 숫자처럼 28×28 가운데에 놓았습니다.",
    "draw.to_feature_maps": "신경망 속 들여다보기",
    "draw.answer_title": "모델의 답",
    "draw.prediction": "답",
    "draw.confidence": "확신도 {conf}",
    "draw.unsure": "모델이 확신하지 못합니다: 숫자를 더 크게, 가운데에 써 보세요.",
    "draw.timing": "전처리와 예측에 서버에서 {ms} ms가 걸렸습니다.",
    "draw.timing_help": "그림이 서버에 도착한 때부터 열 개의 확률이 나오기까지의 시간입니다.",
}

STRINGS: dict[str, dict[str, str]] = {"en": EN, "ko": KO}


def normalize(lang: str | None) -> str:
    """A supported language code from 'ko', 'ko-KR', 'KO', '한국어' ...; English otherwise."""
    if not lang:
        return DEFAULT
    code = str(lang).strip().lower().replace("_", "-").split("-")[0]
    if code in STRINGS:
        return code
    return next((c for c, name in LANGUAGES.items() if name == str(lang).strip()), DEFAULT)


def t(key: str, lang: str = DEFAULT, **fmt) -> str:
    """The text for key in lang, with {placeholders} filled from fmt."""
    text = STRINGS.get(lang, EN).get(key) or EN.get(key) or key
    return text.format(**fmt) if fmt else text


class Translator:
    """t() bound to one language: tr('key', n=3); tr.lang is the language code."""

    def __init__(self, lang: str | None):
        self.lang = normalize(lang)

    def __call__(self, key: str, **fmt) -> str:
        return t(key, self.lang, **fmt)


def translator(lang: str | None) -> Translator:
    return Translator(lang)


def chart_labels(lang: str) -> dict[str, str]:
    """Axis and legend labels for mnist_lab.charts builders (its DEFAULT_LABELS keys)."""
    table = STRINGS.get(normalize(lang), EN)
    return {k[len("chart."):]: v for k, v in table.items() if k.startswith("chart.")}


def placeholders(text: str) -> set[str]:
    """The {names} a string expects."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
