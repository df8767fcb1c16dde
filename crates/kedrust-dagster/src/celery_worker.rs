//! The Celery worker app of the code location (`kedrust_celery.py`), for jobs on Dagster's
//! `celery_executor`. It is dagster-celery's own app and tasks with the settings a step that
//! must not run twice needs. With dagster-celery's defaults, a worker killed mid-step (a lost
//! host, an OOM kill of the whole worker) loses the step's message, which the broker had
//! acknowledged when the step started, and the run waits for it forever.

/// `kedrust_celery.py`.
pub const CELERY_WORKER_PY: &str = r#""""Celery worker for the steps of this kedrust project's Dagster runs, written by `dagster init`.

Start each worker in its own copy of the project (the code location's `definitions.py` is found
in the worker's folder), with the broker the jobs' `celery_executor` names:

    CELERY_BROKER_URL=pyamqp://guest@broker-host// celery -A kedrust_celery worker --concurrency=1

It is dagster-celery's app with two changes, so that a worker that dies mid-step fails the run
instead of leaving it waiting forever (dagster-celery acknowledges a step's message when the
step starts, so the broker forgets it):

- a step's message is acknowledged when the step ends (`acks_late`), also when the worker's
  process is killed (`reject_on_worker_lost`), and a worker takes one message at a time;
- a step the broker delivers again (its worker died, or lost the broker while running it) fails
  at once rather than running a second time: Dagster fails the run, `on_pipeline_error` fires
  once, and a re-execution from failure runs the step again.

Whole runs sent to workers (dagster-celery's run launcher) keep dagster-celery's settings. The
result backend must be the one the executor's options name (`backend`, default `rpc://`):
set `CELERY_RESULT_BACKEND` when it is another.

The broker must tell a worker's death at once: RabbitMQ does (the connection closes); Redis
redelivers only after its `visibility_timeout` (an hour by default). RabbitMQ's
`consumer_timeout` (30 minutes by default) must be longer than the longest step.
"""

import os

import celery
from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_execute_job_task, create_resume_job_task, create_task


class _OncePerDelivery(celery.Task):
    def __call__(self, *args, **kwargs):
        if (self.request.delivery_info or {}).get("redelivered"):
            raise RuntimeError(
                f"celery task {self.request.id} was delivered again: the worker that had this step "
                "died or lost the broker, and a step is not run twice; re-execute the run from failure"
            )
        return super().__call__(*args, **kwargs)


app = make_app()
app.conf.worker_prefetch_multiplier = 1
if os.environ.get("CELERY_BROKER_URL"):
    app.conf.broker_url = os.environ["CELERY_BROKER_URL"]
if os.environ.get("CELERY_RESULT_BACKEND"):
    app.conf.result_backend = os.environ["CELERY_RESULT_BACKEND"]

execute_plan = create_task(app, base=_OncePerDelivery, acks_late=True, reject_on_worker_lost=True)
execute_job = create_execute_job_task(app)
resume_job = create_resume_job_task(app)
"#;
