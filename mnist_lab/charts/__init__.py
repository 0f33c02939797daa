"""Plotly figure builders, by domain: pure functions from arrays, metric events or board rows to a go.Figure.

- digits: digits and what a network's layers make of them (pixels, tiled grids, kernels, feature maps);
- training: loss and accuracy curves of a run, and of several runs side by side;
- answers: what a model answers (the probabilities for one digit, the confusion matrix of a test set);
- board: the class's runs against their settings;
- sweeps: the probabilities along a robustness sweep;
- maps: maps of evidence over a digit, and the digit map of a test set;
- selection: what a click or a lasso on a chart sends back;
- style: what they share (labels, colours, square cells, tiled grids).

A builder that writes axis or legend text takes `labels`, a dict overriding any of style.DEFAULT_LABELS
(the pages pass i18n.chart_labels(lang)). A chart that a page clicks carries `customdata` on a scatter
layer over it, because plotly heatmaps send no click or selection events.
"""
