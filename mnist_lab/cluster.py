"""Runs on a Ray cluster (the optional `cluster` extra): each run a Ray job named after the run.

The queue and the slots stay on the app server (Ray Jobs is no queue: a job pending for 900 s is
failed). A worker takes a run from the queue, submits `python -m mnist_lab train --run-dir DIR` as a
job whose submission id is the run id (a retry can never train a run twice), and follows it. The run
folder is on storage that every node mounts at the same path, so the trainer on the node writes its
status, curves and checkpoints where the app reads them. A stop goes through `stop_job` (SIGTERM to
the job, which saves its checkpoint), not through a STOP file that NFS may hide for ~30 s.
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path

from .errors import Message
from .jobs.launchers import LaunchError
from .runs import Run
from .settings import settings

TERMINAL = ("SUCCEEDED", "FAILED", "STOPPED")
ENDED = ("done", "stopped", "failed", "interrupted")
# how long a stopped job may take to save its checkpoint before Ray kills it (Ray's default: 3 s,
# less than a CPU node needs to finish its batch, test the model and write the checkpoint)
STOP_WAIT_S = 60


def connection_error(e: BaseException, address: str) -> LaunchError:
    """What went wrong reaching the cluster, as one sentence the teacher can act on."""
    kind = type(e).__name__
    if kind == "AuthenticationError":
        return LaunchError("error.ray.token", address=address)
    if isinstance(e, ValueError):
        return LaunchError("error.ray.bad_address", address=address)
    # RpcError: a GCS address (host:port without http://) that does not answer, after Ray's 40 s wait
    if isinstance(e, (ConnectionError, OSError)) or kind == "RpcError" or "connect" in str(e).lower():
        return LaunchError("error.ray.unreachable", address=address)
    return LaunchError("error.ray.other", address=address, error=f"{kind}: {str(e).splitlines()[0][:200]}")


def make_client(address: str, token: str | None = None):
    """A JobSubmissionClient for the cluster's dashboard address, with the cluster's token if it has one."""
    if not address:  # Ray would look for a cluster on its own (RAY_ADDRESS, a local head) and may find another
        raise LaunchError("error.ray.no_address")
    try:
        from ray.job_submission import JobSubmissionClient
    except ImportError:
        raise LaunchError("error.ray.not_installed") from None
    token = token or settings().ray_token
    headers = {"Authorization": f"Bearer {token}"} if token else None
    try:
        return JobSubmissionClient(address, headers=headers)
    except Exception as e:  # noqa: BLE001 -- requests', Ray's and gRPC's errors alike become one plain reason
        raise connection_error(e, address) from None


class RayExecutor:
    """Executes a run as a Ray job and follows it to its end."""

    def __init__(
        self, address: str, data_root=None, client=None, poll_s: float = 1.0, lost_after_s: float | None = None
    ):
        self.address = address
        self.data_root = data_root
        self.client = client or make_client(address)
        # how long the cluster may stay silent before its runs count as lost (a school network hiccups)
        self.poll_s = poll_s
        s = settings()
        self.lost_after_s = lost_after_s if lost_after_s is not None else s.ray_lost_after_s
        self.cpus = s.ray_cpus_per_run
        self.gpus = s.ray_gpus_per_run
        self.python = s.ray_python

    def entrypoint(self, run: Run) -> str:
        cmd = [self.python, "-m", "mnist_lab", "train", "--run-dir", str(run.path.resolve())]
        if self.data_root:
            cmd += ["--data", str(Path(self.data_root).resolve())]
        return shlex.join(cmd)

    def execute(self, run: Run, stop) -> None:
        threads = str(max(1, int(self.cpus)))
        env = {
            "MNIST_LAB_TRAIN_THREADS": threads,
            "PYTHONUNBUFFERED": "1",
            "RAY_JOB_STOP_WAIT_TIME_S": str(STOP_WAIT_S),
        }
        # written before the job exists: from then on its trainer writes this status, and this must not undo that
        run.set_status("running", backend="ray", ray_address=self.address)
        try:
            self.client.submit_job(
                entrypoint=self.entrypoint(run),
                submission_id=run.run_id,
                entrypoint_num_cpus=self.cpus,
                entrypoint_num_gpus=self.gpus,
                runtime_env={"env_vars": env},
            )
        except Exception as e:  # noqa: BLE001 -- any refusal ends the run failed, with a plain reason
            run.set_status("failed", reason=connection_error(e, self.address))
            return
        status, by_user = self._follow(run, stop)
        self._finish(run, status, by_user)

    def _follow(self, run: Run, stop) -> tuple[str | None, bool]:
        """Poll the job until it ends; (its last status, or None if the cluster stopped answering; whether
        a user asked it to stop)."""
        asked, by_user, lost_since = False, False, None
        while True:
            if not asked and (run.stop_requested() or stop()):
                try:
                    self.client.stop_job(run.run_id)
                    asked, by_user = True, run.stop_requested()
                except Exception:  # noqa: BLE001 -- the cluster did not answer: asked again at the next poll
                    pass
            try:
                answer = self.client.get_job_status(run.run_id)
                status = str(getattr(answer, "value", answer))
                lost_since = None
            except Exception:  # noqa: BLE001 -- no answer, however it fails, counts towards lost_after_s
                lost_since = lost_since or time.monotonic()
                if time.monotonic() - lost_since > self.lost_after_s:
                    return None, by_user
                status = "?"
            if status in TERMINAL:
                return status, by_user
            time.sleep(self.poll_s)

    def _finish(self, run: Run, status: str | None, by_user: bool) -> None:
        """The run's final state: what its trainer wrote when it could, else what Ray says."""
        st = run.status()
        if status is None:
            if st["state"] not in ENDED:
                run.set_status("interrupted", reason=Message(f"reason.ray_lost{_kept(run)}", address=self.address))
            return
        if by_user and st["state"] in ("stopped", "interrupted", "running", "queued"):
            run.set_status("stopped", reason=Message("reason.stopped_by_user"))
        elif st["state"] in ENDED:
            return
        elif status == "FAILED":
            run.set_status("failed", reason=Message("reason.ray_failed", message=self._message(run)))
        else:  # stopped from outside (`ray job stop`, a node lost), or ended without a word
            run.set_status("interrupted", reason=Message(f"reason.ray_ended{_kept(run)}", status=status))

    def _message(self, run: Run) -> str:
        try:
            info = self.client.get_job_info(run.run_id)
            return (getattr(info, "message", None) or "?").strip().splitlines()[-1][:300]
        except Exception:  # noqa: BLE001 -- only the wording of a failure is lost
            return "?"


def _kept(run: Run) -> str:
    return "_kept" if run.checkpoint_path().exists() else ""
