"""metrics.jsonl: written by the trainer, read while it grows."""

import json

from mnist_lab.metrics import MetricsTail, MetricsWriter, of_type, thin


def test_tail_reads_only_what_was_added(tmp_path):
    path = tmp_path / "metrics.jsonl"
    tail = MetricsTail(path)
    assert tail.read() == [] and tail.last("batch") is None  # no file yet
    writer = MetricsWriter(path)
    writer({"type": "start"})
    writer({"type": "batch", "step": 1})
    assert [e["type"] for e in tail.read()] == ["start"]  # a batch line may wait in the buffer...
    writer({"type": "epoch", "epoch": 1})  # ...an epoch line flushes it
    assert [e["type"] for e in tail.read()] == ["batch", "epoch"]
    with open(path, "a") as fh:
        fh.write('{"type": "batch", "st')  # half a line: left for the next read
    assert tail.read() == []
    with open(path, "a") as fh:
        fh.write('ep": 2}\n')
    assert tail.read() == [{"type": "batch", "step": 2}]
    assert tail.last("batch") == {"type": "batch", "step": 2} and tail.last("epoch")["epoch"] == 1
    assert [e["step"] for e in of_type(tail.events, "batch")] == [1, 2]
    writer.close()
    assert len(path.read_text().splitlines()) == 4 and json.loads(path.read_text().splitlines()[0])


def test_thin_keeps_epochs_and_the_last_batch():
    events = [{"type": "start"}] + [{"type": "batch", "step": i} for i in range(1, 10_001)] + [{"type": "epoch"}]
    kept = thin(events, limit=100)
    batches = of_type(kept, "batch")
    assert len(batches) <= 101 and batches[-1]["step"] == 10_000 and batches[0]["step"] == 1
    assert kept[0]["type"] == "start" and kept[-1]["type"] == "epoch"
    short = events[:50]
    assert thin(short, limit=100) is short
