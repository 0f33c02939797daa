"""Launching training runs: a first-come queue in the runs folder, and workers that train what it holds.

`submit.submit` checks a run and writes its folder (state `queued`) and a ticket
`runs/.queue/<created ns>-<run id>`; nothing else runs for it yet. A worker (`mnist-lab worker`)
holds one of the folder's training slots, takes the oldest ticket, trains that run and takes the
next, until the queue has been empty for a while. So a class pressing Start together costs one
torch import per slot, not one per run, and a queued run costs no process at all.

Slots are lock files under `runs/.slots/`, held with flock: the kernel frees a slot when its worker
dies, however it dies. Claiming and cancelling happen under `runs/.queue.lock`, so a run is claimed
by one worker and a cancelled run by nobody; adding a ticket needs no lock (a new name is only
ever created, never changed).

Two backends share all of this and differ only in what a worker does with a run:
- local (the default): the worker trains it in its own process;
- ray: the worker submits it to a Ray cluster as a job named after the run, follows it, and stops
  it through Ray (see `cluster.py`). The queue and the slots stay on this machine either way.

The modules: `queue` (tickets, claiming, cancelling, stopping), `slots` (slots, workers, how many
of each), `limits` (the per-session limit and the teacher's caps), `launchers` (starting worker
processes) and `submit` (the one way to start a run, with every check).
"""
