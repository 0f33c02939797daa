"""The Ray Jobs backend (mnist_lab/cluster.py): a run as a Ray job named after it, followed, stopped
and ended with a plain reason.

The fast tests drive RayExecutor with a fake JobSubmissionClient and need no Ray at all (the ones
that use Ray's own client need it installed, but no head). The slow ones start a real Ray head on
this machine, with its own ports and temp folder, and train through the launcher and the CLI.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from mnist_lab import cli, cluster
from mnist_lab.checkpoints import load_model
from mnist_lab.config import make_config
from mnist_lab.errors import Message
from mnist_lab.jobs.launchers import Launcher, LaunchError, RayLauncher, launcher
from mnist_lab.jobs.queue import claim_next, enqueue, queued, stop
from mnist_lab.jobs.slots import workers
from mnist_lab.jobs.submit import submit
from mnist_lab.runs import RunStore, pid_alive
from mnist_lab.worker import Worker
from tests.helpers import optional_import, wait_for_state, wait_until

ADDRESS = "http://head.example:8265"


@pytest.fixture(autouse=True)
def ray_settings(monkeypatch):
    """Jobs run this interpreter on CPUs only; no cluster, token or run limit leaks in from outside."""
    monkeypatch.setenv("MNIST_LAB_RAY_PYTHON", sys.executable)
    monkeypatch.setenv("MNIST_LAB_RAY_CPUS_PER_RUN", "1")
    monkeypatch.setenv("MNIST_LAB_RAY_GPUS_PER_RUN", "0")
    monkeypatch.setenv("MNIST_LAB_RAY_LOST_AFTER_S", "10")  # a head that is gone counts as lost sooner than 60 s
    for name in ("MNIST_LAB_RAY_TOKEN", "MNIST_LAB_RAY_ADDRESS", "MNIST_LAB_MAX_RUNS"):
        monkeypatch.delenv(name, raising=False)
    for name in ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_AUTH_MODE", "RAY_ADDRESS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def ray_installed() -> None:
    """Skip a test that needs Ray when it cannot be imported; fail it instead with MNIST_LAB_REQUIRE_RAY=1."""
    optional_import("ray.job_submission", "ray", "pip install -e '.[cluster]'")


# ---------------------------------------------------------------- a fake cluster


class JobStatus(str, enum.Enum):
    """Ray's job statuses: a str enum, like ray.job_submission.JobStatus."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class AuthenticationError(Exception):
    """Named like ray.exceptions.AuthenticationError (a wrong or missing token), which is recognised by name."""


class RpcError(Exception):
    """Named like ray.exceptions.RpcError, what Ray raises when a GCS address does not answer."""


class FakeClient:
    """JobSubmissionClient as RayExecutor uses it, recording every call.

    get_job_status answers from `script`, one entry a call, the last one repeating; after stop_job it
    answers from `after_stop` instead. An entry is a status, an exception to raise, or a function
    called at that moment (to act like the trainer or a user) that returns one of those.
    """

    def __init__(self, *script, after_stop=("STOPPED",), submit_error=None, on_submit=None, message=""):
        self.script, self.after_stop = list(script) or ["SUCCEEDED"], list(after_stop)
        self.submit_error, self.on_submit, self.message = submit_error, on_submit, message
        self.calls: list[tuple[str, object]] = []

    def called(self, name: str) -> list:
        return [arg for call, arg in self.calls if call == name]

    def submit_job(self, **kwargs):
        self.calls.append(("submit_job", kwargs))
        if self.on_submit:
            self.on_submit()
        if self.submit_error:
            raise self.submit_error
        return kwargs["submission_id"]

    def get_job_status(self, job_id):
        self.calls.append(("get_job_status", job_id))
        answers = self.after_stop if self.called("stop_job") else self.script
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        answer = answer() if callable(answer) else answer
        if isinstance(answer, BaseException):
            raise answer
        return JobStatus(answer)

    def stop_job(self, job_id):
        self.calls.append(("stop_job", job_id))
        return True

    def get_job_info(self, job_id):
        self.calls.append(("get_job_info", job_id))
        return SimpleNamespace(submission_id=job_id, message=self.message)


def claimed_run(root):
    """A run as a Ray worker holds it: created, queued, then claimed (state running, owned by this process)."""
    run = RunStore(root).create(make_config("mlp", "fast", epochs=1).to_dict())
    enqueue(run)
    claimed = claim_next(Path(root), os.getpid(), "ray")
    assert claimed.run_id == run.run_id
    return claimed


def trainer_ends(run, state: str, ray_status: str, reason: Message | None = None, **fields):
    """A get_job_status answer that first does what the trainer on the node does at its end."""

    def answer():
        run.set_status(state, reason=reason, **fields)
        return ray_status

    return answer


def execute(client, run, data_root=None, stop=lambda: False, lost_after_s=0.3) -> dict:
    """Follow the run with quick polls, as a worker does; returns its final status."""
    executor = cluster.RayExecutor(ADDRESS, data_root, client=client, poll_s=0.01, lost_after_s=lost_after_s)
    executor.execute(run, stop)
    return run.status()


# ---------------------------------------------------------------- the executor, against the fake


def test_a_run_is_submitted_as_a_job_named_after_it(tmp_path, monkeypatch):
    """The submission id is the run id (a retry can never train a run twice); the job trains the run's
    folder by its absolute path, even when the runs folder was given relative to this directory."""
    monkeypatch.chdir(tmp_path)
    here = tmp_path.resolve()
    run = claimed_run("runs")
    submitted = []
    client = FakeClient(
        "RUNNING", trainer_ends(run, "done", "SUCCEEDED"), on_submit=lambda: submitted.append(run.status())
    )
    st = execute(client, run, data_root="data")

    [job] = client.called("submit_job")
    assert job["submission_id"] == run.run_id
    assert shlex.split(job["entrypoint"]) == [
        *(sys.executable, "-m", "mnist_lab", "train"),
        *("--run-dir", str(here / "runs" / run.run_id)),
        *("--data", str(here / "data")),
    ]
    assert (job["entrypoint_num_cpus"], job["entrypoint_num_gpus"]) == (1.0, 0.0)
    env = job["runtime_env"]["env_vars"]
    assert env["MNIST_LAB_TRAIN_THREADS"] == "1"
    assert int(env["RAY_JOB_STOP_WAIT_TIME_S"]) >= 30  # Ray's 3 s would kill a stopping trainer before it saves
    # written before the job exists, so that it never overwrites what the trainer writes
    assert submitted[0]["backend"] == "ray" and submitted[0]["ray_address"] == ADDRESS
    assert st["state"] == "done" and client.called("stop_job") == []


@pytest.mark.parametrize(
    "state, ray_status, reason, fields",
    [
        ("done", "SUCCEEDED", None, {"test_accuracy": 0.93}),
        ("failed", "FAILED", Message("reason.crashed", error="RuntimeError: boom"), {}),
        ("stopped", "SUCCEEDED", Message("reason.stopped_by_user"), {}),
    ],
)
def test_what_the_trainer_wrote_is_kept(tmp_path, state, ray_status, reason, fields):
    """The trainer's own end (in the shared run folder) wins over what Ray says about the job."""
    run = claimed_run(tmp_path)
    st = execute(FakeClient("RUNNING", trainer_ends(run, state, ray_status, reason, **fields)), run)
    assert st["state"] == state and st["reason_key"] == (reason.key if reason else None)
    assert {k: st.get(k) for k in fields} == fields


@pytest.mark.parametrize(
    "error, key, words",
    [
        (ConnectionError("Failed to connect to Ray at address: http://head.example:8265."), "error.ray.unreachable",
         "cannot be reached"),
        (RpcError("Timed out while waiting for GCS to become available"), "error.ray.unreachable", "cannot be reached"),
        (AuthenticationError("Authentication failed: Forbidden"), "error.ray.token", "refused the token"),
        (ValueError("not a url"), "error.ray.bad_address", "is not a Ray address"),
        (RuntimeError("Request failed with status code 500: job already exists"), "error.ray.other",
         "answered with an error: RuntimeError: Request failed"),
    ],
)  # fmt: skip
def test_a_submission_that_fails_ends_the_run_plainly(tmp_path, error, key, words):
    """A cluster that cannot take the job fails the run at once, saying why in words a teacher can act on."""
    run = claimed_run(tmp_path)
    client = FakeClient(submit_error=error)
    st = execute(client, run)
    assert st["state"] == "failed" and st["reason_key"] == key
    assert words in st["reason"] and "Traceback" not in st["reason"]
    assert client.called("get_job_status") == []


def test_a_stop_asks_ray_once_and_ends_the_run_stopped(tmp_path):
    """A user's stop (the run's STOP file, from queue.stop) makes one stop_job call, however long the
    job takes to end; the trainer, ended by SIGTERM, says 'interrupted', but the run ends 'stopped'."""
    run = claimed_run(tmp_path)
    terminated = Message("reason.terminated")
    client = FakeClient(
        "RUNNING",
        lambda: stop(run) or "RUNNING",
        after_stop=("RUNNING", "RUNNING", trainer_ends(run, "interrupted", "STOPPED", terminated)),
    )
    st = execute(client, run)
    assert run.stop_requested() and client.called("stop_job") == [run.run_id]
    assert st["state"] == "stopped" and st["reason_key"] == "reason.stopped_by_user"


def test_a_worker_told_to_end_stops_the_job_without_calling_it_a_users_stop(tmp_path):
    """The worker itself getting SIGTERM (the app server shutting down) stops the job through Ray too; the
    run keeps the trainer's 'ended from outside' rather than 'stopped by the user'."""
    run = claimed_run(tmp_path)
    terminated = Message("reason.terminated")
    client = FakeClient("RUNNING", after_stop=(trainer_ends(run, "interrupted", "STOPPED", terminated),))
    st = execute(client, run, stop=lambda: terminated)
    assert client.called("stop_job") == [run.run_id]
    assert st["state"] == "interrupted" and st["reason_key"] == "reason.terminated"


def test_a_job_that_fails_without_a_word_fails_the_run_with_rays_message(tmp_path):
    """A job that died before the trainer could say anything (no Python, no package on the node) fails
    the run with the last line Ray kept of its output."""
    run = claimed_run(tmp_path)
    logs = "Traceback (most recent call last):\n  ...\nModuleNotFoundError: No module named 'mnist_lab'\n"
    message = f"Job entrypoint command failed with exit code 1, last available logs:\n{logs}"
    st = execute(FakeClient("RUNNING", "FAILED", message=message), run)
    assert st["state"] == "failed" and st["reason_key"] == "reason.ray_failed"
    assert st["reason"] == "the Ray job failed: ModuleNotFoundError: No module named 'mnist_lab'"


@pytest.mark.parametrize("kept", [False, True])
def test_a_job_ended_from_outside_interrupts_the_run(tmp_path, kept):
    """`ray job stop` or a lost node: the job ends with no stop asked and no word from the trainer."""
    run = claimed_run(tmp_path)
    if kept:
        run.checkpoint_path().write_bytes(b"weights of the last epoch")
    st = execute(FakeClient("RUNNING", "STOPPED"), run)
    assert st["state"] == "interrupted" and st["reason_key"] == "reason.ray_ended" + ("_kept" if kept else "")


@pytest.mark.parametrize("kept", [False, True])
def test_a_head_that_stops_answering_interrupts_the_run(tmp_path, kept):
    """The cluster going away for longer than lost_after_s ends the run 'interrupted' (not 'failed'),
    says whether a checkpoint is kept, and leaves that checkpoint as it was."""
    run = claimed_run(tmp_path)
    if kept:
        run.checkpoint_path().write_bytes(b"weights of the last epoch")
    client = FakeClient("RUNNING", ConnectionError("Connection refused"))
    t = time.monotonic()
    st = execute(client, run, lost_after_s=0.2)
    assert time.monotonic() - t < 10 and len(client.called("get_job_status")) > 2  # it waited, then gave up
    assert st["state"] == "interrupted" and st["reason_key"] == "reason.ray_lost" + ("_kept" if kept else "")
    assert "stopped answering" in st["reason"]
    if kept:
        assert run.checkpoint_path().read_bytes() == b"weights of the last epoch"
    else:
        assert not run.checkpoint_path().exists()


def test_a_short_outage_is_ridden_out(tmp_path):
    """A head that misses a few polls (a restart of the dashboard) does not end the run."""
    run = claimed_run(tmp_path)
    lost = ConnectionError("Connection refused")
    client = FakeClient("RUNNING", lost, lost, lost, "RUNNING", trainer_ends(run, "done", "SUCCEEDED"))
    st = execute(client, run, lost_after_s=30)
    assert st["state"] == "done"


# ---------------------------------------------------------------- Ray's own client, no head


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "address, key",
    [
        (f"http://127.0.0.1:{free_port()}", "error.ray.unreachable"),  # nothing listens there
        ("not a url", "error.ray.bad_address"),
        ("", "error.ray.no_address"),
    ],
    ids=["nothing-listens", "not-a-url", "no-address"],
)
def test_make_client_says_why_it_cannot_connect(ray_installed, address, key):
    """Ray's real client, pointed at no cluster, gives a LaunchError with a plain reason, not Ray's trace."""
    with pytest.raises(LaunchError) as caught:
        cluster.make_client(address)
    assert caught.value.key == key


def test_a_worker_fails_a_run_it_cannot_submit(ray_installed, tmp_path, tiny_mnist, monkeypatch):
    """Through the Ray launcher's queue and a worker (in this process): an unreachable cluster fails the
    run with the plain reason, and the worker goes on to its next run instead of dying."""
    address = f"http://127.0.0.1:{free_port()}"
    launch = launcher(tmp_path, None, backend="ray", ray_address=address)
    assert isinstance(launch, RayLauncher) and launch.worker_command()[-2:] == ["--ray-address", address]
    monkeypatch.setattr(Launcher, "ensure_workers", lambda self: 0)  # the worker runs below, in this process
    first, second = (
        submit("mlp", "fast", {"epochs": 1}, runs_dir=tmp_path, backend="ray", ray_address=address) for _ in range(2)
    )
    handler = signal.getsignal(signal.SIGTERM)
    try:
        assert Worker(tmp_path, backend="ray", ray_address=address, idle_s=0).serve() == 0
    finally:
        signal.signal(signal.SIGTERM, handler)  # the worker's StopFlag took SIGTERM over
    for run in (first, second):
        st = run.status()
        assert st["state"] == "failed" and st["reason_key"] == "error.ray.unreachable", st
        assert f"the Ray cluster at {address} cannot be reached" in st["reason"]
    assert queued(tmp_path) == []


# ---------------------------------------------------------------- a real head on this machine


def session_pids(sid: int) -> list[int]:
    """The live processes of one session: a head started in a new session keeps all of its processes there."""
    pids = []
    for entry in os.listdir("/proc"):
        with contextlib.suppress(OSError, ValueError):
            if entry.isdigit() and os.getsid(int(entry)) == sid and pid_alive(int(entry)):
                pids.append(int(entry))
    return pids


def stop_head(head: subprocess.Popen, grace_s: float = 3.0) -> None:
    """What `ray stop` does, for this head only (`ray stop` would stop every Ray on the machine): SIGTERM
    to its processes, SIGKILL to those left after a grace period. A job's driver runs in a session of
    its own; Ray's watcher kills it once the job's supervisor is gone."""

    def signalled_all_gone(sig) -> bool:
        left = session_pids(head.pid)
        for pid in left:  # again at every poll: a process may have forked meanwhile
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        return not left

    with contextlib.suppress(AssertionError):  # what is left after the grace period gets SIGKILL
        wait_until(lambda: signalled_all_gone(signal.SIGTERM), grace_s, what="the head to stop on SIGTERM")
    wait_until(lambda: signalled_all_gone(signal.SIGKILL), 15, what=lambda: f"{session_pids(head.pid)} to die")
    with contextlib.suppress(subprocess.TimeoutExpired):
        head.wait(timeout=10)


@contextlib.contextmanager
def local_head(token: str | None = None):
    """A Ray head (`ray start --head --block`) on its own free ports and temp folder, token auth on when a
    token is given; yields (Jobs API URL, the head's process). Always stopped and removed at the end."""
    temp = Path(f"/tmp/rt{secrets.token_hex(4)}")  # short: Ray's unix sockets live under it
    dashboard = free_port()
    ports = {"port": free_port(), "dashboard-port": dashboard, "ray-client-server-port": free_port()}
    for name in ("dashboard-agent-listen-port", "dashboard-agent-grpc-port", "runtime-env-agent-port"):
        ports[name] = free_port()
    ports.update({"metrics-export-port": free_port(), "node-manager-port": free_port()})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAY_AUTH", "RAY_ADDRESS"))}
    env.update({"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token} if token else {"RAY_AUTH_MODE": "disabled"})
    command = [sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block"]
    command += ["--node-ip-address", "127.0.0.1", "--dashboard-host", "127.0.0.1", "--include-dashboard", "true"]
    command += ["--num-cpus", "2", "--num-gpus", "0", "--disable-usage-stats", "--temp-dir", str(temp)]
    command += [arg for name, port in ports.items() for arg in (f"--{name}", str(port))]
    temp.mkdir()
    log = temp / "head.log"
    with open(log, "wb") as out:
        head = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        url = f"http://127.0.0.1:{dashboard}"
        wait_for_head(url, head, token, log)
        yield url, head
    finally:
        try:
            stop_head(head)
        finally:
            shutil.rmtree(temp, ignore_errors=True)


def wait_for_head(url: str, head: subprocess.Popen, token: str | None, log: Path, timeout_s: float = 120) -> None:
    from ray.job_submission import JobSubmissionClient

    headers = {"Authorization": f"Bearer {token}"} if token else None
    errors = []

    def answers() -> bool:
        try:
            JobSubmissionClient(url, headers=headers)
            return True
        except Exception as e:  # noqa: BLE001 -- not up yet: refused, or its Jobs API still loading
            errors.append(f"{type(e).__name__}: {e}")
            if head.poll() is not None:
                pytest.fail(f"the Ray head exited ({errors[-1]}):\n{log.read_text(errors='replace')[-3000:]}")
            return False

    wait_until(
        answers,
        timeout_s,
        0.5,
        what=lambda: (
            f"the Ray head to answer ({errors[-1] if errors else ''}):\n{log.read_text(errors='replace')[-3000:]}"
        ),
    )


def training(run, timeout_s: float = 120) -> dict:
    """Wait until the run trains on the cluster and has saved its first checkpoint; its status then."""

    def trains() -> dict | None:
        st = run.status()
        assert st["state"] in ("queued", "running"), st
        batches = [e for e in run.metrics()[0] if e["type"] == "batch"]
        return st if st["state"] == "running" and batches and run.checkpoint_path().exists() else None

    return wait_until(trains, timeout_s, what=lambda: f"run {run.run_id} to train: {run.status()}")


def wait_for_workers_to_leave(runs_dir, timeout_s: float = 60) -> None:
    """Until the runs folder's workers have run out of work and left."""
    wait_until(lambda: not workers(runs_dir), timeout_s, what=lambda: f"workers {workers(runs_dir)} to leave")


# ~200 one-image steps an epoch, a checkpoint after each; far more epochs than a test waits for
LONG = ("lenet5", "seed003", {"epochs": 200, "batch_size": 1})  # model, preset, overrides
QUICK = ("mlp", "fast", {"epochs": 1, "batch_size": 50})
ENDED = ("done", "stopped", "failed", "interrupted")


def kill_trainers(runs_dir) -> None:
    """No trainer of these runs goes on after its test (Ray's watcher kills them with the head)."""
    for info in RunStore(runs_dir).list():
        pid = RunStore(runs_dir).get(info.run_id).status().get("trainer_pid")
        if isinstance(pid, int) and pid != os.getpid() and pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def head_for(runs_dir, token: str | None = None):
    try:
        with local_head(token) as (url, head):
            yield SimpleNamespace(url=url, process=head, token=token)
    finally:
        kill_trainers(runs_dir)


@pytest.fixture
def ray_head(ray_installed, runs_dir):
    """A Ray head for one test."""
    with head_for(runs_dir) as head:
        yield head


@pytest.fixture
def token_head(ray_installed, runs_dir):
    """A Ray head for one test that takes only requests with its token."""
    with head_for(runs_dir, token=secrets.token_hex(16)) as head:
        yield head


@pytest.mark.slow
@pytest.mark.cluster
@pytest.mark.timeout(400)
def test_runs_train_stop_and_survive_the_head_going_away(ray_head, tiny_mnist, runs_dir, capsys):
    """Through the real CLI and launcher on a real head: a run trains to 'done'; a run its user stops ends
    'stopped', one stopped through Ray from outside 'interrupted', both with their checkpoints; a run whose
    head is stopped ends 'interrupted' with its checkpoint; afterwards the app still lists and loads
    everything, and a new run fails plainly."""
    url = ray_head.url
    # a small run, with `mnist-lab train --backend ray ... --json` in this process
    args = ["train", "--backend", "ray", "--ray-address", url, "--model", "mlp", "--epochs", "1"]
    args += ["--batch-size", "50", "--runs-dir", str(runs_dir), "--data", str(tiny_mnist), "--json"]
    code = cli.main(args)
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and summary["state"] == "done" and summary["backend"] == "ray", summary
    assert summary["test_accuracy"] is not None
    done = RunStore(runs_dir).get(summary["run_id"])
    assert done.status()["backend"] == "ray" and done.checkpoint_path().exists()
    assert done.metrics()[0][-1]["type"] == "end"

    # a long run, stopped by its user once it has trained a little
    def start(run):
        return submit(*run, runs_dir=runs_dir, data_root=tiny_mnist, backend="ray", ray_address=url)

    stopped = start(LONG)
    training(stopped)
    stop(stopped)
    st = wait_for_state(stopped, ENDED)
    assert st["state"] == "stopped" and st["reason_key"] == "reason.stopped_by_user", st
    load_model(stopped.checkpoint_path())

    # a long run stopped from outside the app (`ray job stop`): Ray's SIGTERM lets the trainer save and say so
    from ray.job_submission import JobSubmissionClient

    ended = start(LONG)
    training(ended)
    assert JobSubmissionClient(url).stop_job(ended.run_id)
    st = wait_for_state(ended, ENDED)
    assert st["state"] == "interrupted" and st["reason_key"] == "reason.terminated", st
    assert ended.metrics()[0][-1]["type"] == "end"  # it ended on its own terms, not killed
    load_model(ended.checkpoint_path())

    # a long run whose cluster goes away while it trains
    lost = start(LONG)
    trainer = training(lost)["trainer_pid"]
    stop_head(ray_head.process)
    st = wait_for_state(lost, ENDED, timeout_s=90)
    assert st["state"] == "interrupted" and st["reason_key"] == "reason.ray_lost_kept", st
    # nothing trains on in the background: Ray's watcher kills the job's driver once its supervisor is
    # gone, in its own time (not before the run is called lost), so it is waited for, not assumed
    wait_until(lambda: not pid_alive(trainer), 60, what=f"the trainer {trainer} to be killed with its head")
    load_model(lost.checkpoint_path())

    # the app keeps working without its cluster
    assert {i.run_id: i.status for i in RunStore(runs_dir).list()} == {
        done.run_id: "done",
        stopped.run_id: "stopped",
        ended.run_id: "interrupted",
        lost.run_id: "interrupted",
    }
    load_model(done.checkpoint_path())
    late = start(QUICK)
    st = wait_for_state(late, ENDED, timeout_s=60)
    assert st["state"] == "failed" and st["reason_key"] == "error.ray.unreachable", st
    assert f"the Ray cluster at {url} cannot be reached" in st["reason"]
    assert len(RunStore(runs_dir).list()) == 5


@pytest.mark.slow
@pytest.mark.cluster
def test_a_cluster_with_a_token(token_head, tiny_mnist, runs_dir, monkeypatch):
    """A cluster with token auth: a run sent with a wrong token fails at once, saying that the token was
    refused; with MNIST_LAB_RAY_TOKEN right, a run trains there to the end."""

    def start(run):
        return submit(*run, runs_dir=runs_dir, data_root=tiny_mnist, backend="ray", ray_address=token_head.url)

    monkeypatch.setenv("MNIST_LAB_RAY_TOKEN", "not-" + token_head.token)  # the workers started below inherit it
    refused = start(LONG)
    st = wait_for_state(refused, ENDED, timeout_s=60)
    assert st["state"] == "failed" and st["reason_key"] == "error.ray.token", st
    assert f"the Ray cluster at {token_head.url} refused the token" in st["reason"]

    wait_for_workers_to_leave(runs_dir)  # a worker keeps the token it started with
    monkeypatch.setenv("MNIST_LAB_RAY_TOKEN", token_head.token)
    accepted = start(QUICK)
    st = wait_for_state(accepted, ENDED)
    assert st["state"] == "done" and st["test_accuracy"] is not None, st
