"""The Streamlit side of MNIST Lab: what the pages share that needs Streamlit.

Streamlit lives here, in app.py and in pages/ only; `mnist_lab/` never imports it. One job per module:

- pages: the page list (`PAGES`), the sidebar's entries and the addresses;
- frame: the server's one-time setup, the language, the sidebar, the student's name;
- legacy_pages: the one workaround for Streamlit's older multipage mode;
- cache: datasets, checkpoints and the run listing, loaded once per server process for every session;
- model_choice: the model every page uses, and the digit the model pages look at;
- computed: per-model results for one digit (layers, maps, sweeps, ONNX), made once and shared;
- background: long work (an evaluation, neighbours, digit maps) made in the background with progress;
- class_digits: the class's own digits: one store per server, Draw's Add, the gallery, the teacher's tools;
- train_form, training: the Train page's settings form; a run followed live, and runs side by side;
- widgets: charts, errors, run labels and tables;
- pad: the Draw page's drawing pad (our own component on Components v2).

Pages call `ui.<name>`: the names below are the whole of what a page may use.
"""

from .background import evaluation, neighbours, projections
from .cache import (
    available_datasets,
    class_counts,
    class_means,
    class_runs,
    dataset,
    dataset_location,
    default_model_card,
    forget_datasets,
    launcher,
    missing_data_message,
    pixel_stats,
    run_events,
    store,
    throttle,
)
from .class_digits import (
    add_to_class,
    class_arrays,
    class_delete_digit,
    class_map_points,
    class_measured,
    class_set,
    class_student_names,
    class_tiles,
    digit_store,
    names_shown,
    own_class_digits,
)
from .computed import digit_features, explain_maps, look_inside, map_star, onnx_file, sweep_probabilities
from .frame import labels, language, secrets, server_setup, sidebar, student, translator
from .model_choice import (
    DEFAULT_MODEL,
    current_model,
    load_choice,
    look_at,
    model_options,
    pick_digit,
    require_model,
    use_model,
)
from .pad import pad
from .pages import PAGES, PageInfo, navigation, page, page_info
from .train_form import model_and_preset, train_settings
from .training import compare_runs, delete_own_run, live_run, watched_run
from .widgets import chart, clicked, device_name, error, figure, model_title, run_label, runs_table

__all__ = [
    "DEFAULT_MODEL", "PAGES", "PageInfo", "add_to_class", "available_datasets", "chart", "class_arrays",
    "class_counts", "class_delete_digit", "class_map_points", "class_means", "class_measured",
    "class_runs", "class_set", "class_student_names", "class_tiles", "clicked", "compare_runs", "current_model",
    "dataset", "dataset_location", "default_model_card", "delete_own_run", "device_name", "digit_features",
    "digit_store", "error", "evaluation", "explain_maps", "figure", "forget_datasets", "labels", "language",
    "launcher", "live_run", "load_choice", "look_at", "look_inside", "map_star", "missing_data_message",
    "model_and_preset", "model_options", "model_title", "names_shown", "navigation", "neighbours", "onnx_file",
    "own_class_digits", "pad", "page", "page_info", "pick_digit", "pixel_stats", "projections", "require_model",
    "run_events", "run_label", "runs_table", "secrets", "server_setup", "sidebar", "store", "student",
    "sweep_probabilities", "throttle", "train_settings", "translator", "use_model", "watched_run",
]  # fmt: skip
