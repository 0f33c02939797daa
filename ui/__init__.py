"""The Streamlit side of MNIST Lab: what the pages share that needs Streamlit.

Streamlit lives here, in app.py and in app_pages/ only; `mnist_lab/` never imports it. One job per module:

- pages: the page list (`PAGES`), the sidebar's entries and the addresses;
- frame: the server's one-time setup, the language, the sidebar, the student's name;
- cache: datasets, checkpoints and the run listing, loaded once per server process for every session;
- model_choice: the model every page uses, and the digit the model pages look at;
- computed: per-model results for one digit (layers, maps, sweeps, ONNX), made once and shared;
- background: long work (an evaluation, neighbours, digit maps) made in the background with progress;
- class_digits: the class's own digits: one store per server, Draw's Add, the gallery, the teacher's tools;
- train_form, training: the Train page's settings form; a run followed live, and runs side by side;
- widgets: charts, errors, run labels and tables;
- pad: the Draw page's drawing pad (our own component on Components v2).

Pages call `ui.<name>`: the names below are the whole of what a page may use. Each module is imported when a
name of it is first used, not with `import ui`: the frame (title, page list, language) then shows at once on
a fresh server, while torch and the rest load (frame.server_setup starts that in the background).
"""

import importlib

# module -> the names pages use from it
_NAMES = {
    "background": ("evaluation", "neighbours", "projections"),
    "cache": (
        "available_datasets",
        "class_counts",
        "class_means",
        "class_runs",
        "dataset",
        "dataset_location",
        "default_model_card",
        "forget_datasets",
        "launcher",
        "missing_data_message",
        "pixel_stats",
        "run_events",
        "store",
        "throttle",
    ),
    "class_digits": (
        "add_to_class",
        "class_arrays",
        "class_delete_digit",
        "class_map_points",
        "class_measured",
        "class_set",
        "class_student_names",
        "class_tiles",
        "digit_store",
        "names_shown",
        "own_class_digits",
    ),
    "computed": (
        "digit_features",
        "explain_maps",
        "home_pictures",
        "look_inside",
        "map_star",
        "onnx_file",
        "sweep_probabilities",
    ),
    "frame": ("explainers_ready", "labels", "language", "secrets", "server_setup", "sidebar", "student", "translator"),
    "model_choice": (
        "DEFAULT_MODEL",
        "current_model",
        "load_choice",
        "look_at",
        "model_options",
        "pick_digit",
        "require_model",
        "use_model",
    ),
    "drawpad": ("pad",),
    "pages": ("PAGES", "PageInfo", "navigation", "page", "page_info"),
    "train_form": ("model_and_preset", "train_settings"),
    "training": ("board_curve", "compare_runs", "delete_own_run", "live_run", "watched_run"),
    "widgets": ("chart", "clicked", "device_name", "error", "figure", "model_title", "run_label", "runs_table"),
}
_WHERE = {name: module for module, names in _NAMES.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'ui' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # found once; later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
